"""Build a randomly initialised, Detoxify-compatible checkpoint without the network.

Tests use the tiny size to load Detoxify through the production code path in a second;
the benchmark uses `size="base"`, which has the architecture of Detoxify's `original`
model (BertForSequenceClassification, 12 layers, 768 hidden, 30522-token vocabulary) so
its speed is representative. The scores mean nothing: the weights are random.

The layout mirrors what an air-gapped operator would prepare:
  <dir>/checkpoint.ckpt   torch.save({"config": ..., "state_dict": ...})
  <dir>/hf/               config.json + tokenizer files (what `huggingface_config_path` wants)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# The label list of Detoxify's `original` release, before detoxify renames them.
ORIGINAL_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
# What the released `original` checkpoint names as its Hugging Face model: loading it as-is
# would fetch this from the hub, which is exactly what the air-gapped loader must avoid.
ORIGINAL_MODEL_TYPE = "bert-base-uncased"
BERT_BASE_VOCAB_SIZE = 30522

_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_COMMON_WORDS = """
the be to of and a in that have i it for not on with he as you do at this but his by from
they we say her she or an will my one all would there their what so up out if about who get
which go me when make can like time no just him know take people into year your good some
could them see other than then now look only come its over think also back after use two how
our work first well way even new want because any these give day most us is are was were
has had did said hate love kill stupid idiot dumb ugly nice great thanks thank please hello
friend friends family video post comment comments report user users block spam free money
click link win buy sell today tomorrow night happy sad angry fun game play watch music
""".split()
_SUFFIXES = ["s", "ed", "ing", "ly", "er", "est", "ion", "ness", "ment", "able"]
_PUNCTUATION = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


@dataclass(frozen=True)
class TinyCheckpoint:
    checkpoint_path: Path
    hf_dir: Path
    class_names: list[str]


def _vocabulary(pad_to: int | None) -> list[str]:
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    digits = [str(d) for d in range(10)]
    # Whole characters plus "##" continuations let WordPiece spell any ASCII word.
    pieces = letters + digits + _PUNCTUATION + _COMMON_WORDS
    continuations = ["##" + piece for piece in letters + digits + _SUFFIXES]
    tokens = list(dict.fromkeys(_SPECIAL_TOKENS + pieces + continuations))
    if pad_to is not None:
        tokens += [f"[unused{i}]" for i in range(pad_to - len(tokens))]
    return tokens


def build_tiny_checkpoint(
    directory: str | Path, size: Literal["tiny", "base"] = "tiny", seed: int = 0
) -> TinyCheckpoint:
    """Write checkpoint.ckpt and hf/ under `directory` and return their paths."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    directory = Path(directory)
    hf_dir = directory / "hf"
    hf_dir.mkdir(parents=True, exist_ok=True)

    vocab = _vocabulary(pad_to=BERT_BASE_VOCAB_SIZE if size == "base" else None)
    vocab_file = hf_dir / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")

    if size == "base":
        config = BertConfig(vocab_size=len(vocab), num_labels=len(ORIGINAL_CLASSES))
    elif size == "tiny":
        config = BertConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=37,
            max_position_embeddings=128,
            num_labels=len(ORIGINAL_CLASSES),
            # Wider than BERT's 0.02 so random outputs differ visibly between texts.
            initializer_range=0.2,
        )
    else:
        raise ValueError(f"size must be 'tiny' or 'base', not {size!r}")
    config.problem_type = "multi_label_classification"
    config.save_pretrained(hf_dir)

    tokenizer = BertTokenizer(
        vocab_file=str(vocab_file), do_lower_case=True, model_max_length=config.max_position_embeddings
    )
    tokenizer.save_pretrained(hf_dir)

    torch.manual_seed(seed)
    model = BertForSequenceClassification(config).eval()
    checkpoint = {
        "config": {
            "arch": {
                "type": "BertForSequenceClassification",
                "args": {
                    "model_type": ORIGINAL_MODEL_TYPE,
                    "model_name": "BertForSequenceClassification",
                    "tokenizer_name": "BertTokenizer",
                    "num_classes": len(ORIGINAL_CLASSES),
                },
            },
            "dataset": {"args": {"classes": list(ORIGINAL_CLASSES)}},
        },
        "state_dict": {k: v.contiguous() for k, v in model.state_dict().items()},
    }
    checkpoint_path = directory / "checkpoint.ckpt"
    torch.save(checkpoint, checkpoint_path)
    return TinyCheckpoint(checkpoint_path, hf_dir, list(ORIGINAL_CLASSES))
