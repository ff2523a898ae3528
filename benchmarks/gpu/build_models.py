"""Builds the GPU suite's larger models on the GPU machine, where Python, torch and onnx
are installed (carrying them would cost ~100 MB; building takes seconds): ResNet-50 with
random weights (torchvision) and a transformer encoder (torch.nn.TransformerEncoder).

    python3 build_models.py <out dir> [--small]

onnx 1.23 writes IR version 12, which onnxruntime 1.30 refuses: the files are saved as IR 8.
Exits 0 with a message when torch, torchvision or onnx is missing (the suite then skips them).
"""
import os
import sys


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else "models"
    small = "--small" in sys.argv
    try:
        import onnx
        import torch
        import torchvision
    except ImportError as error:
        print(f"build_models.py: {error}; the ResNet-50 and encoder rows will be skipped", file=sys.stderr)
        return 0
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    # The fused "fast path" of nn.TransformerEncoderLayer has no ONNX export: use the plain ops.
    if hasattr(torch.backends, "mha") and hasattr(torch.backends.mha, "set_fastpath_enabled"):
        torch.backends.mha.set_fastpath_enabled(False)
    failures = 0

    def export(model: "torch.nn.Module", example: "torch.Tensor", name: str, dynamic: dict) -> None:
        nonlocal failures
        path = os.path.join(out, name)
        model.eval()
        try:
            with torch.no_grad():
                torch.onnx.export(model, (example,), path, input_names=["x"], output_names=["y"], dynamic_axes=dynamic, opset_version=17, dynamo=False)
            proto = onnx.load(path)
            proto.ir_version = 8
            onnx.save(proto, path)
            print(f"build_models.py: wrote {path} ({os.path.getsize(path) / 2**20:.1f} MiB)", file=sys.stderr)
        except Exception as error:  # one model that does not export leaves the other
            failures += 1
            print(f"build_models.py: {name} failed: {error}", file=sys.stderr)

    resnet = torchvision.models.resnet50(weights=None)
    export(resnet, torch.rand(1, 3, 32 if small else 224, 32 if small else 224), "resnet50.onnx", {"x": {0: "batch"}, "y": {0: "batch"}})

    width, layers, heads = (64, 2, 4) if small else (512, 6, 8)
    encoder = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(d_model=width, nhead=heads, dim_feedforward=4 * width, batch_first=True), num_layers=layers, enable_nested_tensor=False)
    export(encoder, torch.rand(2, 16, width), "encoder.onnx", {"x": {0: "batch", 1: "seq"}, "y": {0: "batch", 1: "seq"}})
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
