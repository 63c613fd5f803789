#!/usr/bin/env python3
"""Reads a Lumina bundle (.lumina) in Python, as docs/bundle-format.md describes, and checks it.

    python3 scripts/verify_bundle.py corpus.lumina [--model <HF-layout model folder>]

Checks: every file's sha256, the two F32 tensors and their shapes, the Parquet columns and row
counts (pandas + pyarrow), finite values and chunk ids. With --model it also embeds every chunk
text again with Hugging Face transformers (PyTorch, reading model.safetensors) and with
sentence-transformers, and with onnxruntime on onnx/model.onnx, then prints the largest
difference from the bundle's vectors. Prints one JSON line; exits 1 when a check fails.

Needs: pandas pyarrow safetensors numpy (and torch transformers sentence-transformers
onnxruntime for --model).
"""

import argparse
import hashlib
import io
import json
import sys
import zipfile

import numpy as np
import pandas as pd
from safetensors.numpy import load

CHUNK_COLUMNS = ["id", "doc_id", "source", "text", "char_start", "char_end", "token_count", "metadata"]


def read_bundle(path):
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        if manifest["format"] != "lumina-bundle":
            raise ValueError("not a Lumina bundle")
        if manifest["formatVersion"] != 1:
            raise ValueError(f"format version {manifest['formatVersion']} is newer than this reader")
        files = {}
        for name, entry in manifest["files"].items():
            data = bundle.read(name)
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise ValueError(f"{name}: sha256 does not match the manifest")
            if len(data) != entry["bytes"]:
                raise ValueError(f"{name}: size does not match the manifest")
            files[name] = data
    return manifest, files


def check_tables(manifest, files):
    tensors = load(files["embeddings.safetensors"])
    if sorted(tensors) != ["doc_embeddings", "embeddings"]:
        raise ValueError(f"unexpected tensors {sorted(tensors)}")
    embeddings, doc_embeddings = tensors["embeddings"], tensors["doc_embeddings"]
    for name, tensor in tensors.items():
        if tensor.dtype != np.float32:
            raise ValueError(f"{name} is {tensor.dtype}, not float32")
        if not np.isfinite(tensor).all():
            raise ValueError(f"{name} holds NaN or Inf")
    chunks = pd.read_parquet(io.BytesIO(files["chunks.parquet"]))
    documents = pd.read_parquet(io.BytesIO(files["documents.parquet"]))
    if list(chunks.columns) != CHUNK_COLUMNS:
        raise ValueError(f"chunks.parquet columns {list(chunks.columns)}")
    dims = manifest["model"]["dims"] if "dims" in manifest.get("model", {}) else manifest["dims"]
    counts = manifest["counts"]
    if embeddings.shape != (len(chunks), dims) or len(chunks) != counts["chunks"]:
        raise ValueError(f"embeddings {embeddings.shape} vs {len(chunks)} chunks, {dims} dims")
    if doc_embeddings.shape != (len(documents), dims):
        raise ValueError(f"doc_embeddings {doc_embeddings.shape} vs {len(documents)} documents")
    if not chunks["id"].is_unique:
        raise ValueError("chunk ids repeat")
    for row in chunks.itertuples():
        if row.id.rsplit("#", 1)[0] != row.doc_id:
            raise ValueError(f"chunk id {row.id} does not start with its doc_id {row.doc_id}")
        json.loads(row.metadata)
    return embeddings, doc_embeddings, chunks, documents


def mean_pool(hidden, mask):
    mask = mask[..., None].astype(hidden.dtype)
    return (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)


def normalize(rows):
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)


def reembed(model_dir, texts, manifest, embeddings):
    import onnxruntime
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel, AutoTokenizer

    settings = manifest["model"]
    prefix = settings.get("documentPrefix", "")
    max_tokens = settings["maxTokens"]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    session = onnxruntime.InferenceSession(f"{model_dir}/onnx/model.onnx", providers=["CPUExecutionProvider"])
    torch_rows, onnx_rows, hidden_diff = [], [], 0.0
    for start in range(0, len(texts), 32):
        batch = [prefix + t for t in texts[start : start + 32]]
        enc = tokenizer(batch, padding=True, truncation=True, max_length=max_tokens, return_tensors="np")
        with torch.no_grad():
            hidden = model(**{k: torch.from_numpy(v) for k, v in enc.items()}).last_hidden_state.numpy()
        feeds = {i.name: enc[i.name].astype(np.int64) for i in session.get_inputs()}
        onnx_hidden = session.run(None, feeds)[0]
        hidden_diff = max(hidden_diff, float(np.abs(hidden - onnx_hidden).max()))
        torch_rows.append(mean_pool(hidden, enc["attention_mask"]))
        onnx_rows.append(mean_pool(onnx_hidden, enc["attention_mask"]))
    torch_vectors = np.concatenate(torch_rows)
    onnx_vectors = np.concatenate(onnx_rows)
    if settings.get("normalize", True):
        torch_vectors, onnx_vectors = normalize(torch_vectors), normalize(onnx_vectors)
    st = SentenceTransformer(model_dir, device="cpu")
    st.max_seq_length = max_tokens
    st_vectors = st.encode([prefix + t for t in texts], batch_size=32, normalize_embeddings=settings.get("normalize", True))
    dims = embeddings.shape[1]
    return {
        "maxAbsDiffTransformers": float(np.abs(torch_vectors[:, :dims] - embeddings).max()),
        "maxAbsDiffSentenceTransformers": float(np.abs(st_vectors[:, :dims] - embeddings).max()),
        "maxAbsDiffOnnxruntime": float(np.abs(onnx_vectors[:, :dims] - embeddings).max()),
        "maxAbsDiffHiddenTorchVsOnnx": hidden_diff,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle")
    parser.add_argument("--model")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    manifest, files = read_bundle(args.bundle)
    embeddings, doc_embeddings, chunks, documents = check_tables(manifest, files)
    result = {
        "bundle": args.bundle,
        "chunks": len(chunks),
        "documents": len(documents),
        "dims": embeddings.shape[1],
        "files": sorted(files),
        "pandas": pd.__version__,
    }
    ok = True
    if args.model:
        diffs = reembed(args.model, chunks["text"].tolist(), manifest, embeddings)
        result.update(diffs)
        ok = all(value <= args.tolerance for value in diffs.values())
    result["ok"] = ok
    print(json.dumps(result))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
