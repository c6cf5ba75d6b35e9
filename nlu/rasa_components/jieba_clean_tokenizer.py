"""A JiebaTokenizer for jiefen: no whitespace tokens, entity values kept whole.

1. Whitespace tokens. `jieba.tokenize` keeps every character of its input, so a space,
   a tab, a newline or an ideographic space (U+3000) between two words comes back as a
   token of its own ("老板欠薪 跑路了" -> 老板/欠薪/" "/跑/路/了). Our training data uses
   spaces between clauses all the time. Rasa's pipeline assumes tokens carry text: a
   whitespace token becomes an all-zero row in the CountVectorsFeaturizer output, shifts
   the LexicalSyntacticFeaturizer window (BOS/EOS, neighbours) and is one more position
   for DIET's transformer and entity tagger; with a dense featurizer (spaCy,
   LanguageModelFeaturizer) it breaks training outright ("sequence dimensions ... don't
   coincide", RasaHQ/rasa#7910). This tokenizer drops such tokens; the others keep their
   character offsets, so entity spans still line up with the text.

2. Entity values as words (option `entity_values_as_words`, on by default). jieba does
   not know local place names and splits them across word boundaries (店口镇 ->
   店/口镇, 帮次坞镇 -> 帮次/坞/镇), and Rasa then drops that entity annotation from
   training ("Misaligned entity annotation"). When training, every annotated entity
   value is added to jieba's dictionary (`jieba.add_word`, which picks a frequency high
   enough for the word to be cut whole) and the list is stored in the model, so the
   server segments the same way at parse time.

Used in nlu/config.yml as `rasa_components.jieba_clean_tokenizer.JiebaCleanTokenizer`.
The name `rasa_components` must be importable by Rasa: scripts/rasa-train.sh and
scripts/rasa-serve.sh arrange it (docs/rasa.md); running `rasa` by hand with the
working directory nlu/ also works, because Rasa puts the working directory on sys.path.
"""

from __future__ import annotations

import glob
import logging
import os
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_END, ENTITY_ATTRIBUTE_START, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

ENTITY_WORDS_FILE = "entity_words.txt"
# Longer annotated spans are phrases, not words: forcing them whole would glue tokens.
MAX_ENTITY_WORD_LENGTH = 10


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class JiebaCleanTokenizer(JiebaTokenizer):
    """Jieba tokenizer without whitespace-only tokens, entity values kept whole."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """JiebaTokenizer's options plus `entity_values_as_words`."""
        return {**JiebaTokenizer.get_default_config(), "entity_values_as_words": True}

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenizes like JiebaTokenizer, then drops tokens that are only whitespace."""
        tokens = super().tokenize(message, attribute)
        kept = [token for token in tokens if token.text.strip()]
        if kept or not tokens:
            return kept
        # The text was whitespace only. Rasa's featurizers and DIET expect at least
        # one token per non-empty text (Rasa's own WhitespaceTokenizer returns the
        # whole text as one token in that case), so keep a single token.
        text = message.get(attribute) or ""
        return [Token(text, 0)]

    @staticmethod
    def _entity_words(training_data: TrainingData) -> set[str]:
        words: set[str] = set()
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if not text:
                continue
            for entity in example.get(ENTITIES) or []:
                start = entity.get(ENTITY_ATTRIBUTE_START)
                end = entity.get(ENTITY_ATTRIBUTE_END)
                if start is None or end is None:
                    continue
                word = text[start:end]
                if 1 < len(word) <= MAX_ENTITY_WORD_LENGTH and not any(ch.isspace() for ch in word):
                    words.add(word)
        return words

    def train(self, training_data: TrainingData) -> Resource:
        """Stores the custom dictionaries and the entity values in the model."""
        dictionary_path = self._config["dictionary_path"]
        words = (
            sorted(self._entity_words(training_data))
            if self._config.get("entity_values_as_words", True)
            else []
        )
        if dictionary_path is not None or words:
            with self._model_storage.write_to(self._resource) as resource_directory:
                if dictionary_path is not None:
                    self._copy_files_dir_to_dir(dictionary_path, str(resource_directory))
                if words:
                    path = os.path.join(str(resource_directory), ENTITY_WORDS_FILE)
                    with open(path, "w", encoding="utf-8") as f:
                        f.write("".join(f"{word}\n" for word in words))
            logger.info(f"{len(words)} entity values added to jieba's dictionary.")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> JiebaCleanTokenizer:
        """Loads the stored dictionaries (custom ones and entity values) into jieba."""
        try:
            with model_storage.read_from(resource) as resource_directory:
                for path in sorted(glob.glob(f"{resource_directory}/*")):
                    logger.debug(f"Loading jieba user dictionary {path}")
                    # Each line is `word [freq] [tag]`; without a frequency jieba picks
                    # one high enough for the word to be cut whole.
                    import jieba

                    jieba.load_userdict(path)
        except ValueError:
            # Nothing was stored: no custom dictionary and no entity annotations.
            logger.debug(f"{cls.__name__}: nothing stored in resource '{resource.name}'.")
        return cls(config, model_storage, resource)
