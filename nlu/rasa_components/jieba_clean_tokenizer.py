"""A JiebaTokenizer that drops whitespace-only tokens.

`jieba.tokenize` keeps every character of its input, so a space, a tab, a newline or an
ideographic space (U+3000) between two words comes back as a token of its own
("老板欠薪 跑路了" -> 老板/欠薪/" "/跑/路/了), and our training data separates clauses with
spaces all the time. Rasa's pipeline assumes tokens carry text: a whitespace token is an
all-zero row of the CountVectorsFeaturizer output, one more position in the
LexicalSyntacticFeaturizer window and in DIET's entity tagging, and with a dense
featurizer (spaCy, LanguageModelFeaturizer) training fails on mismatched sequence
lengths (RasaHQ/rasa#7910). This subclass filters such tokens out; the others keep their
character offsets (Token.start/end), so entity spans still line up with the text.

Used in nlu/config.yml as `rasa_components.jieba_clean_tokenizer.JiebaCleanTokenizer`;
options as Rasa's JiebaTokenizer (`dictionary_path` for jieba user dictionaries...).
The name `rasa_components` must be importable by Rasa: scripts/rasa-train.sh and
scripts/rasa-serve.sh arrange it (docs/rasa.md); running `rasa` by hand with the working
directory nlu/ also works, because Rasa puts the working directory on sys.path.
"""

from __future__ import annotations

from typing import Any

import jieba
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class JiebaCleanTokenizer(JiebaTokenizer):
    """Jieba tokenizer without whitespace-only tokens."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # jieba builds its prefix dictionary lazily, on the first text it cuts (~1 s).
        # Do it while the model loads, not in the server's first /model/parse.
        jieba.initialize()

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenizes like JiebaTokenizer, then drops tokens that are only whitespace."""
        tokens = super().tokenize(message, attribute)
        kept = [token for token in tokens if token.text.strip()]
        if kept or not tokens:
            return kept
        # The text was whitespace only. Rasa's featurizers and DIET expect at least one
        # token per non-empty text (Rasa's own WhitespaceTokenizer returns the whole text
        # as one token in that case), so keep a single token.
        return [Token(message.get(attribute) or "", 0)]
