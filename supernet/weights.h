// Loading a Network's weights from a torch::save file with every tensor's shape checked:
// torch::load alone replaces tensors whatever their shape, so a file of another NetSpec would
// load and fail (or misbehave) later. Training, compression and export all load through here.
#pragma once

#include <string>

#include "supernet/network.h"

namespace hwnas::supernet {

// Copies the file's parameters and buffers into `model`. DataError starting with `what` when the
// file cannot be read or a tensor is missing from the NetSpec or has another shape.
void LoadCheckedWeights(Network& model, const std::string& path, const std::string& what);

}  // namespace hwnas::supernet
