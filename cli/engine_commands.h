// The commands only the torch engine (hwnas-torch) runs, by name and description. The engine
// registers them from here; the torch-free front (hwnas) registers stubs with the same text that
// hand the command line over, so both executables print the same help.
#pragma once

#include <string>

#include "core/strategies.h"

namespace hwnas::cli {

struct EngineCommand {
  const char* name;
  const char* description;
};

inline constexpr EngineCommand kTrainCommand{
    "train",
    "Train the network named by a config (strategy: train) on its dataset, measure its\n"
    "latency, and store the run. Example:\n"
    "  hwnas train configs/train-fmnist.yaml train.epochs=1 data.train_limit=5000"};

// `hwnas search`: its description lists the search strategies from core/strategies.h.
inline const EngineCommand& SearchCommand() {
  static const std::string description =
      [] {
        std::string text = "Run the config's search strategy and store the run.\n";
        for (const StrategyInfo& info : Strategies())
          if (std::string(info.command) == "search") text += info.help;
        return text;
      }() +
      "Examples:\n"
      "  hwnas search configs/quickstart.yaml proxyless.target_ms=0.8\n"
      "  hwnas search configs/amc-fmnist.yaml amc.source_run=1 amc.flops_ratio=0.5\n"
      "  hwnas search configs/haq-fmnist.yaml haq.source_run=1 haq.budget_bits=4";
  static const EngineCommand command{"search", description.c_str()};
  return command;
}

// Under `hwnas latency`.
inline constexpr EngineCommand kLatencyBuildCommand{
    "build",
    "Measure every operator a search space can contain on a device and store the table.\n"
    "Entries already measured under the same device fingerprint are reused (--force\n"
    "re-measures); numbers measured under other conditions are never reused. Example:\n"
    "  hwnas latency build --space fmnist-mbconv --device cpu --threads 1 --out cpu.yaml"};

inline constexpr EngineCommand kLatencyImportCommand{
    "import",
    "Import a latency table measured elsewhere as a table device. Formats: proxyless-yaml\n"
    "(ProxylessNAS / Once-for-All lookup tables: key -> count, mean, var|std) and haq-npy\n"
    "(HAQ [layers, 8, 8] int64 cost table). The whole file is validated first; nothing is\n"
    "stored when any entry is bad. A table exported by 'latency build --out' may be imported\n"
    "as --device cpu (or cuda) only if its fingerprint matches this machine's (--threads,\n"
    "--batch as when it was measured). Example:\n"
    "  hwnas latency import ../shared/data/luts/proxylessnas-mobile-pixel1.yaml --device "
    "pixel1"};

inline constexpr EngineCommand kLatencyEstimateCommand{
    "estimate",
    "Estimate a network's latency on a device from its table: the total and each layer.\n"
    "On a measurable or model device, entries the table lacks are measured (or computed)\n"
    "and added; on an imported table device a missing entry is an error naming it. Example:\n"
    "  hwnas latency estimate --space proxyless-mobile --device pixel1 \\\n"
    "      --arch \"k3e6 k3e3 skip skip k5e6 ...\""};

inline constexpr EngineCommand kLatencyValidateCommand{
    "validate",
    "Measure random architectures of a space end to end and compare with the table\n"
    "estimate: mean and max absolute percentage error, Kendall tau, share within 5% and\n"
    "10%, for the plain sum of layers and for the sum times the table's calibrated\n"
    "network scale ('latency build' calibrates it). The table is completed first; the\n"
    "result is stored as a run. Example:\n"
    "  hwnas latency validate --space fmnist-mbconv --device cpu --samples 50"};

inline constexpr EngineCommand kLatencyPredictorCommand{
    "predictor",
    "Check the op latency model of a device: fitted on its table's entries (op type,\n"
    "shapes, channels, kernel, stride, bits and the work they imply), each entry predicted\n"
    "by a model that never saw it (k-fold). 'latency estimate --predict-missing MODEL'\n"
    "uses such a model for keys an imported table lacks. Example:\n"
    "  hwnas latency predictor --device pixel1"};

inline constexpr EngineCommand kLatencyCorrectCommand{
    "correct",
    "Fit a network-level correction of a table on networks measured end to end by\n"
    "'latency validate' runs: from the plain sum of a network's entries, the sums per layer\n"
    "kind, layer counts and work to its measured latency. Stored with the table;\n"
    "'latency estimate' and 'latency validate' then report the corrected estimate too.\n"
    "--test-run scores it on another validation run first. Example:\n"
    "  hwnas latency correct --space fmnist-mbconv --device cpu --runs 2 --test-run 3"};

inline constexpr EngineCommand kExportCommand{
    "export",
    "Export a finished run's network for other runtimes: ONNX (checked by ONNX's checker and\n"
    "shape inference) or TorchScript. The model takes N x C x H x W pixels in [0, 1] (RGB),\n"
    "normalises them itself and returns logits; class names, mean and stddev are in its\n"
    "metadata (docs/export.md). Example:\n"
    "  hwnas export 3 --format onnx --out fmnist.onnx"};

inline constexpr EngineCommand kPredictCommand{
    "predict",
    "The most probable classes of image files, with names and probabilities, from a stored\n"
    "run's final network or an exported file (ONNX through OpenCV's DNN module, TorchScript\n"
    "through torch::jit). Images are decoded and cropped as the run's data was. Example:\n"
    "  hwnas predict 3 shoe.png shirt.jpg\n"
    "  hwnas predict fmnist.onnx shoe.png --top 3"};

}  // namespace hwnas::cli
