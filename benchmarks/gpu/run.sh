#!/usr/bin/env bash
# The GPU suite as one command on an offline Linux x64 machine, from the bundle that
# benchmarks/gpu/pack.ts makes (Node, the built packages, onnxruntime-node's linux/x64
# binaries, the real models, the Vulkan loader and libglvnd as .deb files):
#
#   tar -xJf inproc-gpu-bundle.tar.xz && inproc-gpu-bundle/run.sh            # on the GPU
#   inproc-gpu-bundle/run.sh --swiftshader                                   # no GPU: proves the path
#
# Writes results/gpu.md, gpu.svg and gpu.json beside this script; copy gpu.md and gpu.svg
# into benchmarks/results/ of the repository.
set -euo pipefail
cd "$(dirname "$0")"
mode=gpu
small=()
for arg in "$@"; do
  case "$arg" in
    --swiftshader) mode=swiftshader; small=(--small) ;;
    --small) small=(--small) ;;
    *) echo "run.sh: unknown argument $arg (use --swiftshader or --small)" >&2; exit 2 ;;
  esac
done

# Node: carried as node.xz (xz -9 takes the 99 MB binary to about 24 MB).
if [ ! -x node/bin/node ]; then mkdir -p node/bin && xz -dc node.xz > node/bin/node && chmod +x node/bin/node; fi

# Dawn dlopens the Vulkan loader; NVIDIA's ICD needs libglvnd. Installed from the carried
# .deb files only when the loader is missing (dpkg -x: no apt, no network).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  if [ "$(id -u)" != 0 ]; then echo "run.sh: libvulkan.so.1 is missing and installing the carried .deb files needs root" >&2; exit 1; fi
  for deb in debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi

if [ "$mode" = swiftshader ]; then
  export VK_DRIVER_FILES="${VK_DRIVER_FILES:-/usr/lib/chromium/vk_swiftshader_icd.json}"
elif [ -z "${VK_DRIVER_FILES:-}" ]; then
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/*.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; break; fi
  done
fi
echo "run.sh: VK_DRIVER_FILES=${VK_DRIVER_FILES:-<loader default>}" >&2
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true

# ResNet-50 and the transformer encoder are built here, with the machine's Python, torch and onnx.
mkdir -p built
if command -v python3 >/dev/null; then python3 build_models.py built "${small[@]}" || echo "run.sh: some larger models were not built" >&2; fi

./node/bin/node app/gpu.mjs --out results --models built --real-models models "${small[@]}"
