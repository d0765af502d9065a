#include "core/batch_pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "core/errors.h"

namespace hwnas {
namespace {

// n images of h x w x c whose pixel bytes encode (sample, position); labels i % classes.
Dataset TestDataset(int64_t n, int64_t h = 6, int64_t w = 5, int64_t c = 2, int64_t classes = 4) {
  Dataset d;
  d.name = "test/train";
  d.channels = c;
  d.height = h;
  d.width = w;
  d.num_classes = classes;
  d.pixels.resize(n * h * w * c);
  for (size_t k = 0; k < d.pixels.size(); ++k) d.pixels[k] = static_cast<uint8_t>(k * 7 + k / 61);
  for (int64_t i = 0; i < n; ++i) d.labels.push_back(i % classes);
  d.mean.assign(c, 0.5f);
  d.stddev.assign(c, 0.25f);
  return d;
}

BatchPipelineOptions Options(int64_t batch_size, int64_t threads = 1) {
  BatchPipelineOptions o;
  o.batch_size = batch_size;
  o.threads = threads;
  o.prefetch = 2;
  o.seed = 42;
  return o;
}

std::vector<Batch> Epoch(BatchPipeline& pipeline, int64_t epoch) {
  pipeline.StartEpoch(epoch);
  std::vector<Batch> batches;
  while (std::optional<Batch> batch = pipeline.Next()) batches.push_back(std::move(*batch));
  return batches;
}

float Normalised(const Dataset& d, int64_t channel, uint8_t value) {
  return (static_cast<float>(value) / 255.0f - d.mean[channel]) / d.stddev[channel];
}

TEST(BatchPipeline, EachSampleExactlyOncePerEpoch) {
  Dataset d = TestDataset(1000);
  BatchPipeline pipeline(d, Options(64, 2));
  EXPECT_EQ(pipeline.BatchesPerEpoch(), 16);
  std::vector<Batch> batches = Epoch(pipeline, 0);
  ASSERT_EQ(batches.size(), 16u);
  EXPECT_EQ(batches.back().size, 1000 - 15 * 64);
  std::vector<int> seen(1000, 0);
  for (const Batch& b : batches) {
    ASSERT_EQ(b.images.size(), static_cast<size_t>(b.size * 6 * 5 * 2));
    ASSERT_EQ(b.labels.size(), static_cast<size_t>(b.size));
    EXPECT_EQ(b.height, 6);
    EXPECT_EQ(b.width, 5);
    EXPECT_EQ(b.channels, 2);
    for (int64_t i = 0; i < b.size; ++i) {
      ++seen[b.indices[i]];
      EXPECT_EQ(b.labels[i], d.labels[b.indices[i]]);
    }
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
  EXPECT_FALSE(std::is_sorted(batches[0].indices.begin(), batches[0].indices.end()));
}

TEST(BatchPipeline, OrderDependsOnSeedAndEpochOnly) {
  Dataset d = TestDataset(300);
  BatchPipeline pipeline(d, Options(50));
  std::vector<Batch> first = Epoch(pipeline, 0);
  std::vector<Batch> again = Epoch(pipeline, 0);
  std::vector<Batch> next = Epoch(pipeline, 1);
  EXPECT_EQ(first[0].indices, again[0].indices);
  EXPECT_NE(first[0].indices, next[0].indices);
  BatchPipelineOptions other = Options(50);
  other.seed = 43;
  BatchPipeline other_pipeline(d, other);
  EXPECT_NE(Epoch(other_pipeline, 0)[0].indices, first[0].indices);
}

TEST(BatchPipeline, IdenticalBatchesForOneAndTwoThreads) {
  Dataset d = TestDataset(500, 8, 8, 3);
  BatchPipelineOptions one = Options(32, 1);
  one.augment = {2, true};
  one.prefetch = 1;
  BatchPipelineOptions two = one;
  two.threads = 2;
  two.prefetch = 5;
  BatchPipeline a(d, one);
  BatchPipeline b(d, two);
  for (int64_t epoch : {0, 1}) {
    std::vector<Batch> x = Epoch(a, epoch);
    std::vector<Batch> y = Epoch(b, epoch);
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].indices, y[i].indices);
      EXPECT_EQ(x[i].labels, y[i].labels);
      EXPECT_EQ(x[i].images, y[i].images) << "epoch " << epoch << " batch " << i;
    }
  }
}

TEST(BatchPipeline, DropLast) {
  Dataset d = TestDataset(1000);
  BatchPipelineOptions o = Options(64);
  o.drop_last = true;
  BatchPipeline pipeline(d, o);
  EXPECT_EQ(pipeline.BatchesPerEpoch(), 15);
  std::vector<Batch> batches = Epoch(pipeline, 0);
  ASSERT_EQ(batches.size(), 15u);
  for (const Batch& b : batches) EXPECT_EQ(b.size, 64);
  // A dataset smaller than one batch keeps its only batch.
  Dataset tiny = TestDataset(10);
  BatchPipeline tiny_pipeline(tiny, o);
  EXPECT_EQ(tiny_pipeline.BatchesPerEpoch(), 1);
  EXPECT_EQ(Epoch(tiny_pipeline, 0)[0].size, 10);
}

TEST(BatchPipeline, EvaluationKeepsOrderAndExactValues) {
  Dataset d = TestDataset(70);
  DataOptions data;
  data.batch_size = 32;
  BatchPipeline pipeline(d, BatchPipelineOptions::ForEvaluation(data, 2));
  std::vector<Batch> batches = Epoch(pipeline, 3);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].size, 6);
  int64_t next = 0;
  for (const Batch& b : batches) {
    for (int64_t i = 0; i < b.size; ++i, ++next) {
      ASSERT_EQ(b.indices[i], next);
      for (int64_t k = 0; k < d.image_bytes(); ++k) {
        ASSERT_EQ(b.images[i * d.image_bytes() + k], Normalised(d, k % 2, d.image(next)[k]));
      }
    }
  }
  EXPECT_EQ(next, 70);
}

TEST(BatchPipeline, NormalisationOfKnownPixels) {
  Dataset d = TestDataset(1, 1, 1, 1, 2);
  d.pixels = {255};
  BatchPipeline pipeline(d, Options(1));
  EXPECT_EQ(Epoch(pipeline, 0)[0].images, std::vector<float>{2.0f});  // (1 - 0.5) / 0.25
  d.pixels = {51};
  d.mean = {0.2860f};
  d.stddev = {0.3530f};
  BatchPipeline fashion(d, Options(1));
  EXPECT_EQ(Epoch(fashion, 0)[0].images[0], (0.2f - 0.2860f) / 0.3530f);
  EXPECT_NEAR(Epoch(fashion, 0)[0].images[0], -0.24362606f, 1e-6);
}

// Reference augmentation: out(y, x) = in(y + dy, (flip ? w-1-x : x) + dx), zero outside.
std::vector<float> Shifted(const Dataset& d, int64_t index, int dy, int dx, bool flip) {
  std::vector<float> out;
  for (int64_t y = 0; y < d.height; ++y) {
    for (int64_t x = 0; x < d.width; ++x) {
      int64_t sy = y + dy, sx = (flip ? d.width - 1 - x : x) + dx;
      bool inside = sy >= 0 && sy < d.height && sx >= 0 && sx < d.width;
      for (int64_t c = 0; c < d.channels; ++c) {
        uint8_t v = inside ? d.image(index)[(sy * d.width + sx) * d.channels + c] : 0;
        out.push_back(Normalised(d, c, v));
      }
    }
  }
  return out;
}

TEST(BatchPipeline, CropAndFlipKeepShapeAndLabel) {
  Dataset d = TestDataset(200, 7, 6, 2);
  BatchPipelineOptions o = Options(16, 2);
  o.augment = {2, true};
  BatchPipeline pipeline(d, o);
  std::set<std::tuple<int, int, bool>> used;
  for (const Batch& b : Epoch(pipeline, 0)) {
    ASSERT_EQ(b.images.size(), static_cast<size_t>(b.size * d.image_bytes()));
    for (int64_t i = 0; i < b.size; ++i) {
      EXPECT_EQ(b.labels[i], d.labels[b.indices[i]]);
      std::vector<float> image(b.images.begin() + i * d.image_bytes(),
                               b.images.begin() + (i + 1) * d.image_bytes());
      bool matched = false;
      for (int dy = -2; dy <= 2 && !matched; ++dy) {
        for (int dx = -2; dx <= 2 && !matched; ++dx) {
          for (bool flip : {false, true}) {
            if (image == Shifted(d, b.indices[i], dy, dx, flip)) {
              used.insert({dy, dx, flip});
              matched = true;
              break;
            }
          }
        }
      }
      EXPECT_TRUE(matched) << "sample " << b.indices[i] << " is not a crop/flip of its image";
    }
  }
  EXPECT_GT(used.size(), 30u);  // of 50 possible (dy, dx, flip): augmentation really varies
}

// Random erasing changes exactly one axis-aligned rectangle of 2-40% of the image (its pixels
// random, so a few may equal the original), with every probability in between honoured.
TEST(BatchPipeline, RandomErasingReplacesOneRectangle) {
  Dataset d = TestDataset(400, 28, 28, 1, 4);
  BatchPipelineOptions o = Options(50, 2);
  o.augment = {0, false, 1.0};
  BatchPipeline pipeline(d, o);
  int erased = 0;
  for (const Batch& b : Epoch(pipeline, 0)) {
    for (int64_t i = 0; i < b.size; ++i) {
      const std::vector<float> plain = Shifted(d, b.indices[i], 0, 0, false);
      int64_t top = 28, bottom = -1, left = 28, right = -1, changed = 0;
      for (int64_t y = 0; y < 28; ++y) {
        for (int64_t x = 0; x < 28; ++x) {
          if (b.images[i * 784 + y * 28 + x] == plain[y * 28 + x]) continue;
          ++changed;
          top = std::min(top, y), bottom = std::max(bottom, y);
          left = std::min(left, x), right = std::max(right, x);
        }
      }
      if (changed == 0) continue;
      ++erased;
      const int64_t box = (bottom - top + 1) * (right - left + 1);
      EXPECT_GE(changed, box * 9 / 10) << "the changed pixels are not one rectangle";
      EXPECT_LE(box, 784 * 4 / 10 + 28) << "more than 40% of the image erased";
    }
  }
  EXPECT_GE(erased, 390);  // probability 1: every image (a draw of under 1 pixel is retried)

  o.augment = {0, false, 0.5};
  BatchPipeline half(d, o);
  int changed_images = 0;
  for (const Batch& b : Epoch(half, 3)) {
    for (int64_t i = 0; i < b.size; ++i) {
      const std::vector<float> plain = Shifted(d, b.indices[i], 0, 0, false);
      changed_images += !std::equal(plain.begin(), plain.end(), b.images.begin() + i * 784);
    }
  }
  EXPECT_GT(changed_images, 150);
  EXPECT_LT(changed_images, 250);
  BatchPipeline again(d, o);
  EXPECT_EQ(Epoch(again, 3)[2].images, Epoch(half, 3)[2].images);  // deterministic per seed
}

TEST(BatchPipeline, ProducerErrorIsRethrownAfterEarlierBatches) {
  Dataset d = TestDataset(400);
  d.labels[300] = 4;  // num_classes is 4
  BatchPipelineOptions o = Options(128, 2);
  o.shuffle = false;
  BatchPipeline pipeline(d, o);
  pipeline.StartEpoch(0);
  ASSERT_TRUE(pipeline.Next().has_value());
  ASSERT_TRUE(pipeline.Next().has_value());
  try {
    pipeline.Next();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(), "test/train: sample 300 has label 4, expected 0..3");
  }
  EXPECT_FALSE(pipeline.Next().has_value());
  d.labels[300] = 0;
  EXPECT_EQ(Epoch(pipeline, 1).size(), 4u);  // a new epoch starts clean
}

TEST(BatchPipeline, EarlyDestructionAndRestart) {
  Dataset d = TestDataset(5000, 16, 16, 3);
  BatchPipelineOptions o = Options(8, 2);
  o.prefetch = 3;
  o.augment = {2, true};
  { BatchPipeline never_started(d, o); }
  {
    BatchPipeline pipeline(d, o);
    pipeline.StartEpoch(0);
  }
  {
    BatchPipeline pipeline(d, o);
    pipeline.StartEpoch(0);
    ASSERT_TRUE(pipeline.Next().has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // producer blocked on room
    pipeline.StartEpoch(0);                                      // abandon mid-epoch, start over
    int64_t images = 0;
    while (std::optional<Batch> b = pipeline.Next()) images += b->size;
    EXPECT_EQ(images, 5000);
    pipeline.StartEpoch(1);
    ASSERT_TRUE(pipeline.Next().has_value());
  }  // destroyed mid-epoch
}

TEST(BatchPipeline, StatsCountBatchesAndTime) {
  Dataset d = TestDataset(100);
  BatchPipeline pipeline(d, Options(30));
  Epoch(pipeline, 0);
  Epoch(pipeline, 1);
  PipelineStats s = pipeline.stats();
  EXPECT_EQ(s.batches, 8);
  EXPECT_EQ(s.images, 200);
  EXPECT_GT(s.producer_seconds, 0);
  EXPECT_GE(s.consumer_wait_seconds, 0);
}

TEST(BatchPipeline, EmptyDatasetEndsAtOnce) {
  Dataset d = TestDataset(0);
  BatchPipeline pipeline(d, Options(8));
  EXPECT_EQ(pipeline.BatchesPerEpoch(), 0);
  pipeline.StartEpoch(0);
  EXPECT_FALSE(pipeline.Next().has_value());
}

TEST(BatchPipeline, MisuseIsReported) {
  Dataset d = TestDataset(10);
  EXPECT_THROW(BatchPipeline(d, Options(0)), std::invalid_argument);
  BatchPipelineOptions no_threads = Options(4, 0);
  EXPECT_THROW(BatchPipeline(d, no_threads), std::invalid_argument);
  Dataset broken = d;
  broken.pixels.pop_back();
  EXPECT_THROW(BatchPipeline(broken, Options(4)), std::invalid_argument);
  BatchPipeline pipeline(d, Options(4));
  EXPECT_THROW(pipeline.Next(), std::logic_error);
}

TEST(BatchPipelineOptions, TrainingAndEvaluationPresets) {
  DataOptions data;
  data.batch_size = 64;
  data.prefetch_batches = 3;
  data.augment.crop_padding = 0;
  data.augment.horizontal_flip = false;
  BatchPipelineOptions train = BatchPipelineOptions::ForTraining(data, 2, 9);
  EXPECT_EQ(train.batch_size, 64);
  EXPECT_TRUE(train.shuffle);
  EXPECT_EQ(train.augment.crop_padding, 0);
  EXPECT_TRUE(train.drop_last);
  EXPECT_EQ(train.prefetch, 3);
  EXPECT_EQ(train.threads, 2);
  EXPECT_EQ(train.seed, 9u);
  data.augment.horizontal_flip = true;
  EXPECT_TRUE(BatchPipelineOptions::ForTraining(data, 1, 1).augment.horizontal_flip);
  BatchPipelineOptions eval = BatchPipelineOptions::ForEvaluation(data, 1);
  EXPECT_FALSE(eval.shuffle);
  EXPECT_EQ(eval.augment.crop_padding, 0);
  EXPECT_FALSE(eval.augment.horizontal_flip);
  EXPECT_FALSE(eval.drop_last);
}

}  // namespace
}  // namespace hwnas
