// Strategy train: trains the NetSpec named by the config on its dataset, measures its latency
// and stores the final network. Training runs keep no checkpoint, so they are not resumable.
#include "core/dataset.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "core/text.h"
#include "search/strategy.h"
#include "search/trainer.h"

namespace hwnas::search {
namespace {

std::string Summary(const Config& config, const NetSpec& net, const TrainResult& r) {
  std::string text = StringPrintf("  architecture   %s\n", ArchString(net).c_str());
  text += "  test accuracy  " + AccuracyText(r) + "\n";
  text += StringPrintf("  latency        %.3f ms measured on %s, batch %lld, %lld thread(s)\n",
                       r.latency_ms, config.device.name.c_str(),
                       static_cast<long long>(config.device.batch),
                       static_cast<long long>(config.device.threads));
  text += StringPrintf("  FLOPs          %.2f M MACs   params %.3f M\n", NetFlops(net) / 1e6,
                       NetParams(net) / 1e6);
  text += StringPrintf("  training       %.1f s, %.0f images/s, data wait %.1f%%\n",
                       r.train_seconds, r.images_per_second, 100.0 * r.data_wait_fraction);
  if (!r.weights_path.empty())
    text += StringPrintf("  weights        %s\n", r.weights_path.c_str());
  return text;
}

class TrainStrategy : public Strategy {
 public:
  void Prepare(const Config& config, RunServices&, bool, int64_t) override {
    config_ = config;
    net_ = LoadNetSpecFile(config.net);
    data_ = LoadDataSplits(config.data, config.seed);
    CheckFitsData("network '" + net_.name + "'", net_.input_size, net_.input_channels,
                  net_.num_classes, data_.train, config.source_path, "net");
  }
  const Config& StoredConfig() const override { return config_; }
  std::optional<DatasetRecord> Data() const override { return DescribeData(data_, config_.data); }

  std::string Run(RunContext& context) override {
    return Summary(config_, net_, TrainNetwork(net_, config_, data_, TrainContextOf(context)));
  }

 private:
  Config config_;
  NetSpec net_;
  DataSplits data_;
};

const bool registered = RegisterStrategy("train", [] { return std::make_unique<TrainStrategy>(); });

}  // namespace
}  // namespace hwnas::search
