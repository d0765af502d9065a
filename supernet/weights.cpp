#include "supernet/weights.h"

#include <torch/serialize.h>

#include "core/errors.h"

namespace hwnas::supernet {

void LoadCheckedWeights(Network& model, const std::string& path, const std::string& what) {
  Network loaded(model->spec());
  try {
    torch::load(loaded, path);
  } catch (const c10::Error& e) {
    throw DataError(what + " (" + e.what_without_backtrace() + ")");
  }
  torch::NoGradGuard no_grad;
  auto copy = [&](const auto& from, const auto& to) {
    for (const auto& item : from) {
      const torch::Tensor* target = to.find(item.key());
      if (target == nullptr || !target->sizes().equals(item.value().sizes()))
        throw DataError(what + " (" + item.key() + " has shape " + c10::str(item.value().sizes()) +
                        " in the file, the NetSpec needs " +
                        (target ? c10::str(target->sizes()) : std::string("none")) + ")");
      torch::Tensor(*target).copy_(item.value());
    }
  };
  copy(loaded->named_parameters(), model->named_parameters());
  copy(loaded->named_buffers(), model->named_buffers());
}

}  // namespace hwnas::supernet
