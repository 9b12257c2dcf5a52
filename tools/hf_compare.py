#!/usr/bin/env python3
"""Compare Nestor's logits with Hugging Face transformers' NemotronH on sliced checkpoints.

Needs torch, transformers (with the nemotron_h model) and safetensors; a GPU is optional. Not run in CI.

1. Make checkpoints and dumps with Nestor (any machine):
       nestor bench kernels --hf-check-dir /tmp/hf-check
   This writes the bench model as an elastic checkpoint, slices every budget into a plain checkpoint
   /tmp/hf-check/sliced-<budget>/ (config.json + model.safetensors, Hugging Face names) and runs Nestor on fixed
   input ids, writing nestor_logits.safetensors beside each:
       input_ids  F32 [b, L]     token ids (exact below 2**24)
       logits     F32 [b, L, V]  Nestor's logits, computed in fp32
       __metadata__: {"format": "nestor-logits", "budget", "dtype", "torch_dtype"}
2. Compare (here):
       python tools/hf_compare.py /tmp/hf-check/sliced-*
   Prints one JSON line per checkpoint with the largest absolute logit difference; exits 1 when one exceeds
   --tolerance.

Hugging Face's pure-torch Mamba path (used when the mamba_ssm kernels are not installed) clamps dt from below at
config.time_step_min, while the CUDA kernels and Nestor clamp dt to time_step_limit (default [0, inf)). Pass
--match-kernel-dt to set time_step_min = 0 on the torch path so that both compute the same function; without it,
expect small differences where softplus(dt) < time_step_min.
"""
import argparse
import json
import pathlib
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModelForCausalLM


def compare(folder: pathlib.Path, device: str, match_kernel_dt: bool, trust_remote_code: bool) -> dict:
    dump = folder / "nestor_logits.safetensors"
    with safe_open(str(dump), framework="pt") as f:
        metadata = f.metadata() or {}
    if metadata.get("format") != "nestor-logits":
        raise SystemExit(f"{dump}: not a Nestor logits dump")
    tensors = load_file(str(dump))
    input_ids = tensors["input_ids"].to(torch.long)
    ours = tensors["logits"].to(torch.float32)

    config = AutoConfig.from_pretrained(folder, trust_remote_code=trust_remote_code)
    if match_kernel_dt:
        config.time_step_min = 0.0
    try:
        model = AutoModelForCausalLM.from_pretrained(folder, config=config, dtype=torch.float32, trust_remote_code=trust_remote_code)
    except TypeError:  # transformers before 4.56 names it torch_dtype
        model = AutoModelForCausalLM.from_pretrained(folder, config=config, torch_dtype=torch.float32, trust_remote_code=trust_remote_code)
    model = model.to(device).eval()
    with torch.no_grad():
        theirs = model(input_ids=input_ids.to(device), use_cache=False).logits.to(torch.float32).cpu()

    if theirs.shape != ours.shape:
        raise SystemExit(f"{folder}: shapes differ: transformers {tuple(theirs.shape)}, Nestor {tuple(ours.shape)}")
    diff = (theirs - ours).abs()
    return {
        "checkpoint": str(folder),
        "budget": metadata.get("budget"),
        "params": sum(p.numel() for p in model.parameters()),
        "max_abs_diff": diff.max().item(),
        "mean_abs_diff": diff.mean().item(),
        "max_abs_logit": ours.abs().max().item(),
        "argmax_agreement": (theirs.argmax(-1) == ours.argmax(-1)).float().mean().item(),
        "device": device,
        "match_kernel_dt": match_kernel_dt,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=pathlib.Path, help="sliced checkpoints with nestor_logits.safetensors")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("--match-kernel-dt", action="store_true", help="set time_step_min = 0 (see above)")
    parser.add_argument("--trust-remote-code", action="store_true", help="for transformers without native nemotron_h")
    args = parser.parse_args()

    worst = 0.0
    for folder in args.folders:
        try:
            result = compare(folder, args.device, args.match_kernel_dt, args.trust_remote_code)
        except Exception as e:  # report every checkpoint, then fail
            result = {"checkpoint": str(folder), "error": f"{type(e).__name__}: {e}", "max_abs_diff": float("inf")}
        worst = max(worst, result["max_abs_diff"])
        print(json.dumps(result), flush=True)
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
