// Internal to deploy/: a lowered network as a TorchScript module built in C++ (its tensors as
// buffers, a generated forward that calls the LibTorch operators supernet::Network calls, batch
// norm folded into float convolutions as hwnas times them), serialized with the metadata as the
// extra file hwnas.json.
#pragma once

#include <string>
#include <vector>

#include "deploy/lowered_net.h"
#include "deploy/metadata.h"

namespace hwnas::deploy {

// The bytes of the saved module (a zip archive torch::jit::load and torch.jit.load read).
std::string TorchScriptBytes(const std::vector<LoweredLayer>& layers,
                             const ExportMetadata& metadata);

}  // namespace hwnas::deploy
