"""The builtin NLU backend: an in-process classifier trained with scikit-learn, served with numpy.

Model: sublinear TF-IDF over character 1-2-grams of each clause framed as `^clause$`
(`nlu.builtin.features`) -> LinearSVC (C=2) over ALL training intents (dialogue intents and
dispute_<category>), calibrated by temperature scaling, with the intent threshold chosen by
cross-validation on the training data (`nlu.builtin.training`). Decision rule, short-message
rule and fallback: `nlu.builtin.decision`. Inference needs neither scikit-learn nor jieba
(`nlu.builtin.model`), so loading from the cache takes about 0.1 s.
"""

from nlu.builtin.backend import BuiltinNlu, cache_path
from nlu.builtin.decision import FALLBACK, REPORT_DISPUTE, Decision, Thresholds

__all__ = ["FALLBACK", "REPORT_DISPUTE", "BuiltinNlu", "Decision", "Thresholds", "cache_path"]
