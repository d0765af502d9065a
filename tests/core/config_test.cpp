#include "core/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/errors.h"
#include "tests/support/run_command.h"

namespace hwnas {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kMinimal[] = "strategy: train\nnet: nets/a.yaml\n";

// The formatted diagnostics of loading `text` as "test.yaml"; empty when it loads.
std::vector<std::string> Errors(const std::string& text,
                                const std::vector<std::string>& overrides = {}) {
  try {
    LoadConfigFromString(text, "test.yaml", overrides);
  } catch (const ConfigError& e) {
    std::vector<std::string> lines;
    for (const auto& d : e.diagnostics()) lines.push_back(d.ToString());
    return lines;
  }
  return {};
}

std::string Absolute(const std::string& path) {
  return fs::absolute(path).lexically_normal().string();
}

// ---- Valid files ---------------------------------------------------------------------------

TEST(LoadConfigTest, MinimalFileGetsDefaults) {
  Config config = LoadConfigFromString(kMinimal, "test.yaml", {});
  EXPECT_EQ(config.strategy, "train");
  EXPECT_EQ(config.name, "test");  // derived from the file name
  EXPECT_EQ(config.source_path, "test.yaml");
  EXPECT_EQ(config.net, Absolute("nets/a.yaml"));
  EXPECT_EQ(config.seed, 1u);
  EXPECT_EQ(config.threads, 2);
  EXPECT_EQ(config.data.dataset, DatasetKind::kFashionMnist);
  EXPECT_EQ(config.data.batch_size, 128);
  EXPECT_EQ(config.train.epochs, 2);
  EXPECT_DOUBLE_EQ(config.train.learning_rate, 0.05);
  EXPECT_EQ(config.device.name, "cpu");
}

TEST(LoadConfigTest, ReadsEveryKind) {
  Config config = LoadConfigFromString(
      "name: my run\nstrategy: train\nseed: 0\nthreads: 4\nnet: /abs/net.yaml\n"
      "data:\n  dataset: synthetic\n  path: data/x\n  holdout_fraction: 0\n"
      "  augment: {crop_padding: 0, horizontal_flip: no}\n"
      "  synthetic: {classes: 10, noise: 1.5e-1}\n"
      "device: {name: pixel1, threads: 4, batch: 8}\n"
      "train:\n  epochs: 7\n  learning_rate: .5\n  channels_last: false\n",
      "test.yaml", {});
  EXPECT_EQ(config.name, "my run");
  EXPECT_EQ(config.seed, 0u);
  EXPECT_EQ(config.threads, 4);
  EXPECT_EQ(config.net, "/abs/net.yaml");
  EXPECT_EQ(config.data.dataset, DatasetKind::kSynthetic);
  EXPECT_EQ(config.data.path, "data/x");
  EXPECT_EQ(config.data.holdout_fraction, 0.0);
  EXPECT_EQ(config.data.augment.crop_padding, 0);
  EXPECT_FALSE(config.data.augment.horizontal_flip);
  EXPECT_EQ(config.data.synthetic.classes, 10);
  EXPECT_DOUBLE_EQ(config.data.synthetic.noise, 0.15);
  EXPECT_EQ(config.device.name, "pixel1");
  EXPECT_EQ(config.device.batch, 8);
  EXPECT_EQ(config.train.epochs, 7);
  EXPECT_DOUBLE_EQ(config.train.learning_rate, 0.5);
  EXPECT_FALSE(config.train.channels_last);
}

TEST(LoadConfigTest, RelativeNetResolvesAgainstTheConfigDirectory) {
  std::string dir = testing::MakeTempDir("config-net");
  fs::create_directories(dir + "/sub");
  testing::WriteFile(dir + "/sub/run.yaml", "strategy: train\nnet: ../nets/./a.yaml\n");
  Config config = LoadConfig(dir + "/sub/run.yaml", {});
  EXPECT_EQ(config.net, Absolute(dir + "/nets/a.yaml"));
  EXPECT_EQ(config.name, "run");
  EXPECT_EQ(config.source_path, dir + "/sub/run.yaml");
}

TEST(LoadConfigTest, EmptySectionKeepsDefaults) {
  Config config =
      LoadConfigFromString(std::string(kMinimal) + "train:\n# all defaults\n", "test.yaml", {});
  EXPECT_EQ(config.train.epochs, 2);
}

TEST(LoadConfigTest, BooleansAcceptYamlSpellings) {
  for (const char* text : {"true", "True", "yes", "on"}) {
    Config config = LoadConfigFromString(
        kMinimal, "test.yaml",
        {"train.channels_last=false", std::string("train.channels_last=") + text});
    EXPECT_TRUE(config.train.channels_last) << text;
  }
}

// ---- Overrides ----------------------------------------------------------------------------

TEST(OverrideTest, ValuesAreParsedAsYaml) {
  Config config = LoadConfigFromString(
      kMinimal, "test.yaml",
      {"train.epochs=3", "name=\"my run\"", "data.dataset=synthetic", "train.learning_rate=1e-3",
       "seed=42", "data.augment={crop_padding: 4, horizontal_flip: false}"});
  EXPECT_EQ(config.train.epochs, 3);
  EXPECT_EQ(config.name, "my run");
  EXPECT_EQ(config.data.dataset, DatasetKind::kSynthetic);
  EXPECT_DOUBLE_EQ(config.train.learning_rate, 0.001);
  EXPECT_EQ(config.seed, 42u);
  EXPECT_EQ(config.data.augment.crop_padding, 4);
  EXPECT_FALSE(config.data.augment.horizontal_flip);
}

TEST(OverrideTest, LaterOverrideWinsAndCreatesMissingSections) {
  Config config = LoadConfigFromString(kMinimal, "test.yaml",
                                       {"train.epochs=3", "train.epochs=4", "name=plain words"});
  EXPECT_EQ(config.train.epochs, 4);
  EXPECT_EQ(config.name, "plain words");
}

TEST(OverrideTest, CanSupplyRequiredKeys) {
  Config config = LoadConfigFromString("seed: 3\n", "test.yaml", {"strategy=train", "net=n.yaml"});
  EXPECT_EQ(config.strategy, "train");
  EXPECT_EQ(config.net, Absolute("n.yaml"));
}

TEST(OverrideTest, WrongTypeIsLocatedByTheOverride) {
  EXPECT_THAT(Errors(kMinimal, {"train.epochs=zero"}),
              ElementsAre("override 'train.epochs=zero': error: train.epochs: wrong type (got "
                          "\"zero\"; expected an integer in [1, 10000])"));
}

TEST(OverrideTest, UnknownKeySuggestsTheClosest) {
  EXPECT_THAT(Errors(kMinimal, {"train.epoch=3"}),
              ElementsAre("override 'train.epoch=3': error: train.epoch: unknown key; did you "
                          "mean 'train.epochs'?"));
  EXPECT_THAT(Errors(kMinimal, {"epochs=3"}),
              ElementsAre("override 'epochs=3': error: epochs: unknown key; did you mean "
                          "'proxyless.epochs' or 'train.epochs'?"));
  EXPECT_THAT(Errors(kMinimal, {"trian.epochs=3"}),
              ElementsAre("override 'trian.epochs=3': error: trian: unknown key; did you mean "
                          "'train'?"));
}

TEST(OverrideTest, MissingEqualsSign) {
  EXPECT_THAT(Errors(kMinimal, {"train.epochs"}),
              ElementsAre("override 'train.epochs': error: missing '=' (expected KEY=VALUE, e.g. "
                          "train.epochs=3)"));
}

TEST(OverrideTest, InvalidKey) {
  EXPECT_THAT(Errors(kMinimal, {"train..epochs=3", "=3"}),
              ElementsAre("override 'train..epochs=3': error: invalid key (got "
                          "\"train..epochs\"; expected a dotted key, e.g. train.epochs)",
                          "override '=3': error: invalid key (got \"\"; expected a dotted key, "
                          "e.g. train.epochs)"));
}

TEST(OverrideTest, InvalidYamlValue) {
  EXPECT_THAT(Errors(kMinimal, {"train.epochs=[1,"}),
              ElementsAre("override 'train.epochs=[1,': error: train.epochs: invalid YAML value "
                          "(end of sequence flow not found)"));
}

TEST(OverrideTest, CannotReachInsideAScalar) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "train: 5\n", {"train.epochs=3"}),
              ElementsAre("test.yaml:3:8: error: train: wrong type (got \"5\"; expected a "
                          "mapping)",
                          "override 'train.epochs=3': error: train: cannot set 'train.epochs' "
                          "because 'train' is not a mapping (got \"5\")"));
}

TEST(OverrideTest, ValueInsideAnOverriddenMappingIsLocatedByTheOverride) {
  EXPECT_THAT(Errors(kMinimal, {"train={epochs: 0, lr: 1}"}),
              ElementsAre("override 'train={epochs: 0, lr: 1}': error: train.epochs: out of "
                          "range (got 0; expected an integer in [1, 10000])",
                          "override 'train={epochs: 0, lr: 1}': error: train.lr: unknown key "
                          "(expected one of epochs, learning_rate, momentum, weight_decay, "
                          "label_smoothing, channels_last)"));
}

TEST(OverrideTest, EmptyValueClearsAString) {
  Config config = LoadConfigFromString(std::string(kMinimal) + "data: {path: x}\n", "test.yaml",
                                       {"data.path="});
  EXPECT_EQ(config.data.path, "");
}

// ---- Diagnostics, pinned ------------------------------------------------------------------

TEST(ConfigErrorTest, YamlSyntaxErrorKeepsYamlCppPosition) {
  EXPECT_THAT(Errors("strategy: train\nnet: a: b\n"),
              ElementsAre("test.yaml:2:7: error: invalid YAML: illegal map value"));
  EXPECT_THAT(Errors("strategy: train\ntrain: {epochs: [1,\n"),
              ElementsAre("test.yaml:3:1: error: invalid YAML: end of sequence flow not found"));
}

TEST(ConfigErrorTest, WrongType) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "train:\n  epochs: zero\n"),
              ElementsAre("test.yaml:4:11: error: train.epochs: wrong type (got \"zero\"; "
                          "expected an integer in [1, 10000])"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "train:\n  epochs: 2.5\n"),
              ElementsAre("test.yaml:4:11: error: train.epochs: wrong type (got \"2.5\"; "
                          "expected an integer in [1, 10000])"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "train: {momentum: .inf}\n"),
              ElementsAre("test.yaml:3:19: error: train.momentum: wrong type (got \".inf\"; "
                          "expected a number in [0, 1))"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "train: {channels_last: maybe}\n"),
              ElementsAre("test.yaml:3:24: error: train.channels_last: wrong type (got "
                          "\"maybe\"; expected true or false)"));
}

TEST(ConfigErrorTest, OutOfRange) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "train:\n  epochs: 0\n"),
              ElementsAre("test.yaml:4:11: error: train.epochs: out of range (got 0; expected "
                          "an integer in [1, 10000])"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "seed: -1\n"),
              ElementsAre("test.yaml:3:7: error: seed: out of range (got -1; expected an "
                          "integer >= 0)"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "seed: 99999999999999999999\n"),
              ElementsAre("test.yaml:3:7: error: seed: out of range (got 99999999999999999999; "
                          "expected an integer >= 0)"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "train:\n  learning_rate: 0\n  momentum: 1\n"),
              ElementsAre("test.yaml:4:18: error: train.learning_rate: out of range (got 0; "
                          "expected a number in (0, 10])",
                          "test.yaml:5:13: error: train.momentum: out of range (got 1; expected "
                          "a number in [0, 1))"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "data: {holdout_fraction: 0.95}\n"),
              ElementsAre("test.yaml:3:26: error: data.holdout_fraction: out of range (got "
                          "0.95; expected a number in [0, 0.9])"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "proxyless: {rebase_factor: -0.5}\n"),
              ElementsAre("test.yaml:3:28: error: proxyless.rebase_factor: out of range (got "
                          "-0.5; expected a number in [0, 10])"));
}

TEST(ConfigErrorTest, UnknownKeyWithSuggestion) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "train:\n  epoch: 3\n"),
              ElementsAre("test.yaml:4:3: error: train.epoch: unknown key; did you mean "
                          "'train.epochs'?"));
  // A key of another section, placed at the top level.
  EXPECT_THAT(Errors(std::string(kMinimal) + "epochs: 3\n"),
              ElementsAre("test.yaml:3:1: error: epochs: unknown key; did you mean "
                          "'proxyless.epochs' or 'train.epochs'?"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "trian:\n  epochs: 3\n"),
              ElementsAre("test.yaml:3:1: error: trian: unknown key; did you mean 'train'?"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "data: {batch: 3}\n"),
              ElementsAre("test.yaml:3:8: error: data.batch: unknown key; did you mean "
                          "'data.batch_size'?"));
}

TEST(ConfigErrorTest, UnknownKeyWithoutSuggestionListsTheKnownKeys) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "colour: red\n"),
              ElementsAre("test.yaml:3:1: error: colour: unknown key (expected one of name, "
                          "strategy, seed, threads, net, space, data, device, train, "
                          "proxyless, amc, haq, evolution, pipeline)"));
}

TEST(ConfigErrorTest, MissingRequiredKeyIsLocatedAtTheEnclosingMapping) {
  EXPECT_THAT(Errors("# a comment\nnet: a.yaml\n"),
              ElementsAre("test.yaml:2:1: error: strategy: missing required key (expected one "
                          "of train, proxyless, amc, haq, evolution, pipeline)"));
  EXPECT_THAT(Errors("strategy: train\n"),
              ElementsAre("test.yaml:1:1: error: net: missing required key (expected a path to "
                          "a NetSpec YAML file; strategy train trains the network it "
                          "describes)"));
}

TEST(ConfigErrorTest, EmptyFile) {
  const char* kEmpty = "test.yaml: error: empty document (expected a mapping of keys)";
  EXPECT_THAT(Errors(""), ElementsAre(kEmpty));
  EXPECT_THAT(Errors("# only a comment\n\n"), ElementsAre(kEmpty));
  EXPECT_THAT(Errors("", {"strategy=train"}), ElementsAre(kEmpty));
}

TEST(ConfigErrorTest, MissingFile) {
  std::string path = testing::MakeTempDir("config-missing") + "/nope.yaml";
  try {
    LoadConfig(path, {});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": error: cannot read file (No such file or directory)");
    EXPECT_EQ(e.code(), ExitCode::kConfigError);
  }
}

TEST(ConfigErrorTest, DirectoryInsteadOfFile) {
  std::string dir = testing::MakeTempDir("config-dir");
  EXPECT_THROW(
      {
        try {
          LoadConfig(dir, {});
        } catch (const ConfigError& e) {
          EXPECT_EQ(std::string(e.what()), dir + ": error: cannot read file (Is a directory)");
          throw;
        }
      },
      ConfigError);
}

TEST(ConfigErrorTest, TopLevelNotAMapping) {
  EXPECT_THAT(Errors("- strategy: train\n"),
              ElementsAre("test.yaml:1:1: error: top level is not a mapping (got a sequence; "
                          "expected a mapping of keys)"));
  EXPECT_THAT(Errors("just words\n"),
              ElementsAre("test.yaml:1:1: error: top level is not a mapping (got \"just "
                          "words\"; expected a mapping of keys)"));
}

TEST(ConfigErrorTest, FolderDatasetsNeedAPathAndAnImageSize) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "data:\n  dataset: folder\n"),
              ElementsAre("test.yaml:3:1: error: data.path: required with dataset folder "
                          "(expected the directory holding <class>/ folders, or train/ and test/ "
                          "with <class>/ folders)",
                          "test.yaml:3:1: error: data.image_size: required with dataset folder "
                          "(expected the side in pixels that images are resized and "
                          "centre-cropped to, e.g. 32)"));
  EXPECT_THAT(Errors(kMinimal, {"data.dataset=folder", "data.path=x", "data.image_size=32",
                                "data.channels=2"}),
              ElementsAre("override 'data.channels=2': error: data.channels: got 2 (expected 0 "
                          "= from the images, 1 or 3)"));
  EXPECT_THAT(Errors(kMinimal, {"data.image_size=32"}),
              ElementsAre("override 'data.image_size=32': error: data.image_size: only used "
                          "with dataset folder (got 32; expected 0)"));
  EXPECT_THAT(Errors(kMinimal, {"data.dataset=folder", "data.path=x", "data.image_size=32",
                                "data.test_fraction=0", "data.cifar100_labels=medium"}),
              ElementsAre("override 'data.test_fraction=0': error: data.test_fraction: out of "
                          "range (got 0; expected a number in (0, 0.9])",
                          "override 'data.cifar100_labels=medium': error: data.cifar100_labels: "
                          "unknown value (got \"medium\"; expected one of fine, coarse)"));
  EXPECT_THAT(Errors(kMinimal, {"data.dataset=folder", "data.path=x", "data.image_size=32"}),
              ElementsAre());
}

TEST(ConfigErrorTest, WrongEnumValueListsTheNames) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "data:\n  dataset: mnist\n"),
              ElementsAre("test.yaml:4:12: error: data.dataset: unknown value (got \"mnist\"; "
                          "expected one of fashion-mnist, cifar10, synthetic, folder, cifar100)"));
  EXPECT_THAT(
      Errors(std::string(kMinimal) + "data:\n  dataset: cifar\n"),
      ElementsAre(
          "test.yaml:4:12: error: data.dataset: unknown value (got \"cifar\"; "
          "expected one of fashion-mnist, cifar10, synthetic, folder, cifar100); did you mean "
          "'cifar10'?"));
  EXPECT_THAT(Errors("strategy: proxyles\nnet: a.yaml\n"),
              ElementsAre("test.yaml:1:11: error: strategy: unknown value (got \"proxyles\"; "
                          "expected one of train, proxyless, amc, haq, evolution, pipeline); did "
                          "you mean 'proxyless'?"));
}

TEST(ConfigErrorTest, MappingWhereScalarExpectedAndViceVersa) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "train:\n  epochs: {a: 1}\n"),
              ElementsAre("test.yaml:4:11: error: train.epochs: wrong type (got a mapping; "
                          "expected an integer in [1, 10000])"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "name: [a, b]\n"),
              ElementsAre("test.yaml:3:7: error: name: wrong type (got a sequence; expected a "
                          "string)"));
  EXPECT_THAT(Errors(std::string(kMinimal) + "data: fashion-mnist\n"),
              ElementsAre("test.yaml:3:7: error: data: wrong type (got \"fashion-mnist\"; "
                          "expected a mapping)"));
}

TEST(ConfigErrorTest, EmptyValueIsLocatedAtItsKey) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "train:\n  epochs:\n  momentum: 0.5\n"),
              ElementsAre("test.yaml:4:3: error: train.epochs: wrong type (got an empty value; "
                          "expected an integer in [1, 10000])"));
}

TEST(ConfigErrorTest, EmptyStringWhereNonEmptyRequired) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "device: {name: \"\"}\n"),
              ElementsAre("test.yaml:3:16: error: device.name: empty string (got \"\"; "
                          "expected a non-empty string)"));
}

TEST(ConfigErrorTest, DuplicateKey) {
  EXPECT_THAT(Errors(std::string(kMinimal) + "seed: 1\nseed: 2\n"),
              ElementsAre("test.yaml:4:1: error: seed: duplicate key (first defined at line 3)"));
}

TEST(ConfigErrorTest, AllProblemsSortedByPositionOverridesLast) {
  EXPECT_THAT(
      Errors("train:\n  epochs: 0\n  momentum: x\nseed: -2\nnet: a.yaml\n",
             {"threads=0", "data.datset=x"}),
      ElementsAre(
          "test.yaml:1:1: error: strategy: missing required key (expected one of train, proxyless, "
          "amc, haq, evolution, pipeline)",
          "test.yaml:2:11: error: train.epochs: out of range (got 0; expected an integer in [1, "
          "10000])",
          "test.yaml:3:13: error: train.momentum: wrong type (got \"x\"; expected a number in "
          "[0, 1))",
          "test.yaml:4:7: error: seed: out of range (got -2; expected an integer >= 0)",
          "override 'threads=0': error: threads: out of range (got 0; expected an integer in "
          "[1, 256])",
          "override 'data.datset=x': error: data.datset: unknown key; did you mean "
          "'data.dataset'?"));
}

TEST(ConfigErrorTest, WhatIsOneLinePerDiagnostic) {
  try {
    LoadConfigFromString("strategy: train\nnet: a\nseed: x\nthreads: 0\n", "t.yaml", {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "t.yaml:3:7: error: seed: wrong type (got \"x\"; expected an integer >= 0)\n"
              "t.yaml:4:10: error: threads: out of range (got 0; expected an integer in [1, "
              "256])");
    EXPECT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.diagnostics()[0].key, "seed");
    EXPECT_EQ(e.diagnostics()[0].line, 3);
    EXPECT_EQ(e.diagnostics()[0].column, 7);
  }
}

// ---- Printing -----------------------------------------------------------------------------

void ExpectSameConfig(const Config& a, const Config& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.net, b.net);
  EXPECT_EQ(a.data.dataset, b.data.dataset);
  EXPECT_EQ(a.data.path, b.data.path);
  EXPECT_EQ(a.data.holdout_fraction, b.data.holdout_fraction);
  EXPECT_EQ(a.data.train_limit, b.data.train_limit);
  EXPECT_EQ(a.data.test_limit, b.data.test_limit);
  EXPECT_EQ(a.data.batch_size, b.data.batch_size);
  EXPECT_EQ(a.data.prefetch_batches, b.data.prefetch_batches);
  EXPECT_EQ(a.data.augment.crop_padding, b.data.augment.crop_padding);
  EXPECT_EQ(a.data.augment.horizontal_flip, b.data.augment.horizontal_flip);
  EXPECT_EQ(a.data.synthetic.train_samples, b.data.synthetic.train_samples);
  EXPECT_EQ(a.data.synthetic.test_samples, b.data.synthetic.test_samples);
  EXPECT_EQ(a.data.synthetic.image_size, b.data.synthetic.image_size);
  EXPECT_EQ(a.data.synthetic.channels, b.data.synthetic.channels);
  EXPECT_EQ(a.data.synthetic.classes, b.data.synthetic.classes);
  EXPECT_EQ(a.data.synthetic.noise, b.data.synthetic.noise);
  EXPECT_EQ(a.device.name, b.device.name);
  EXPECT_EQ(a.device.threads, b.device.threads);
  EXPECT_EQ(a.device.batch, b.device.batch);
  EXPECT_EQ(a.train.epochs, b.train.epochs);
  EXPECT_EQ(a.train.learning_rate, b.train.learning_rate);
  EXPECT_EQ(a.train.momentum, b.train.momentum);
  EXPECT_EQ(a.train.weight_decay, b.train.weight_decay);
  EXPECT_EQ(a.train.label_smoothing, b.train.label_smoothing);
  EXPECT_EQ(a.train.channels_last, b.train.channels_last);
}

// Every key set away from its default, including values that need quoting or exact digits.
const std::vector<std::string> kEveryKeyChanged = {
    "name=\"true\"",
    "seed=123456789012",
    "threads=3",
    "net=\"odd: name #1.yaml\"",
    "data.dataset=cifar10",
    "data.path=\"~\"",
    "data.holdout_fraction=0.3",
    "data.train_limit=1000",
    "data.test_limit=100",
    "data.batch_size=32",
    "data.prefetch_batches=8",
    "data.augment.crop_padding=4",
    "data.augment.horizontal_flip=false",
    "data.synthetic.train_samples=10",
    "data.synthetic.test_samples=5",
    "data.synthetic.image_size=8",
    "data.synthetic.channels=3",
    "data.synthetic.classes=7",
    "data.synthetic.noise=0.1234567890123",
    "device.name=\"my phone\"",
    "device.threads=4",
    "device.batch=16",
    "train.epochs=9",
    "train.learning_rate=0.1",
    "train.momentum=0.95",
    "train.weight_decay=1e-7",
    "train.label_smoothing=0.0",
    "train.channels_last=false",
};

TEST(ConfigToYamlTest, RoundTripsEveryKey) {
  Config original = LoadConfigFromString(kMinimal, "dir/test.yaml", kEveryKeyChanged);
  std::string text = ConfigToYaml(original);
  Config reloaded = LoadConfigFromString(text, "elsewhere/other.yaml", {});
  ExpectSameConfig(original, reloaded);
  EXPECT_EQ(ConfigToYaml(reloaded), text);
}

TEST(ConfigToYamlTest, RoundTripsDefaults) {
  Config original = LoadConfigFromString(kMinimal, "test.yaml", {});
  Config reloaded = LoadConfigFromString(ConfigToYaml(original), "x.yaml", {});
  ExpectSameConfig(original, reloaded);
}

TEST(ConfigToYamlTest, PrintsEveryDefaultInSchemaOrder) {
  Config config = LoadConfigFromString(kMinimal, "test.yaml", {"net=/n.yaml"});
  EXPECT_EQ(ConfigToYaml(config),
            "name: \"test\"\n"
            "strategy: train\n"
            "seed: 1\n"
            "threads: 2\n"
            "net: \"/n.yaml\"\n"
            "space: \"\"\n"
            "data:\n"
            "  dataset: fashion-mnist\n"
            "  path: \"\"\n"
            "  holdout_fraction: 0.1\n"
            "  train_limit: 0\n"
            "  test_limit: 0\n"
            "  batch_size: 128\n"
            "  prefetch_batches: 4\n"
            "  augment:\n"
            "    crop_padding: 2\n"
            "    horizontal_flip: true\n"
            "    random_erasing: 0\n"
            "  synthetic:\n"
            "    train_samples: 2048\n"
            "    test_samples: 512\n"
            "    image_size: 16\n"
            "    channels: 1\n"
            "    classes: 4\n"
            "    noise: 0.25\n"
            "  image_size: 0\n"
            "  channels: 0\n"
            "  test_fraction: 0.2\n"
            "  skip_bad_images: false\n"
            "  cache_dir: \"\"\n"
            "  cifar100_labels: fine\n"
            "device:\n"
            "  name: \"cpu\"\n"
            "  threads: 1\n"
            "  batch: 1\n"
            "train:\n"
            "  epochs: 2\n"
            "  learning_rate: 0.05\n"
            "  momentum: 0.9\n"
            "  weight_decay: 4e-05\n"
            "  label_smoothing: 0.1\n"
            "  channels_last: true\n"
            "proxyless:\n"
            "  warmup_epochs: 1\n"
            "  warmup_paths: uniform\n"
            "  epochs: 3\n"
            "  arch_learning_rate: 0.006\n"
            "  arch_weight_decay: 0\n"
            "  arch_update_every: 5\n"
            "  grad_mode: full_v2\n"
            "  loss: mul_log\n"
            "  target_kind: latency\n"
            "  target_ms: 0\n"
            "  target_mflops: 0\n"
            "  lambda: 0.1\n"
            "  alpha: 0.2\n"
            "  beta: 0.6\n"
            "  search_images: 0\n"
            "  retrain_epochs: 0\n"
            "  fine_tune: false\n"
            "  retrain_on_holdout: false\n"
            "  rebase_factor: 0\n"
            "amc:\n"
            "  source_run: \"\"\n"
            "  weights: \"\"\n"
            "  target_kind: flops\n"
            "  flops_ratio: 0.5\n"
            "  target_ms: 0\n"
            "  min_preserve: 0.2\n"
            "  channel_multiple: 8\n"
            "  episodes: 400\n"
            "  reward: acc\n"
            "  calibration_images: 3000\n"
            "  points_per_image: 10\n"
            "  eval_images: 3000\n"
            "  finetune_epochs: 1\n"
            "  finetune_learning_rate: 0.01\n"
            "  compare_uniform: false\n"
            "  agent:\n"
            "    hidden: 300\n"
            "    actor_learning_rate: 1e-04\n"
            "    critic_learning_rate: 0.001\n"
            "    tau: 0.01\n"
            "    discount: 1\n"
            "    batch_size: 64\n"
            "    replay_per_step: 100\n"
            "    warmup_episodes: 100\n"
            "    initial_sigma: 0.5\n"
            "    sigma_decay: 0.95\n"
            "    baseline_alpha: 0.5\n"
            "haq:\n"
            "  source_run: \"\"\n"
            "  weights: \"\"\n"
            "  cost: latency\n"
            "  budget_ratio: 0.6\n"
            "  budget_bits: 0\n"
            "  min_bits: 2\n"
            "  max_bits: 8\n"
            "  pin_first_last: true\n"
            "  episodes: 300\n"
            "  reward_scale: 0.1\n"
            "  calibration_images: 256\n"
            "  eval_images: 2000\n"
            "  episode_finetune_batches: 0\n"
            "  finalists: 5\n"
            "  finetune_epochs: 1\n"
            "  finetune_learning_rate: 0.005\n"
            "  compare_uniform: false\n"
            "  agent:\n"
            "    hidden: 300\n"
            "    actor_learning_rate: 1e-04\n"
            "    critic_learning_rate: 0.001\n"
            "    tau: 0.01\n"
            "    discount: 1\n"
            "    batch_size: 64\n"
            "    replay_per_step: 128\n"
            "    warmup_episodes: 20\n"
            "    initial_sigma: 0.5\n"
            "    sigma_decay: 0.99\n"
            "    baseline_alpha: 0.5\n"
            "evolution:\n"
            "  supernet_run: \"\"\n"
            "  targets: []\n"
            "  accuracy_samples: 200\n"
            "  eval_images: 2000\n"
            "  predictor: \"ridge\"\n"
            "  test_share: 0.2\n"
            "  population: 100\n"
            "  generations: 50\n"
            "  parent_ratio: 0.25\n"
            "  mutation_ratio: 0.5\n"
            "  mutate_prob: 0.1\n"
            "  finetune_epochs: 0\n"
            "  finetune_learning_rate: 0.01\n"
            "  measure: true\n"
            "pipeline:\n"
            "  stages: [\"search\", \"retrain\", \"prune\", \"quantize\", \"export\"]\n"
            "  quantize_device: \"\"\n"
            "  export_formats: [\"onnx\", \"torchscript\"]\n");
}

TEST(ConfigToYamlTest, IsTheSameForTheSameConfig) {
  Config a = LoadConfigFromString("strategy: train\nnet: /n.yaml\ntrain: {epochs: 3}\n", "a.yaml",
                                  {"name=x"});
  Config b = LoadConfigFromString("net: /n.yaml\nname: x\nstrategy: train\n", "b.yaml",
                                  {"train.epochs=3"});
  EXPECT_EQ(ConfigToYaml(a), ConfigToYaml(b));
}

// A search run stores ConfigToYaml and `hwnas search resume` loads it back: the keys the
// strategy does not use (an empty `net`) must load too.
TEST(ConfigToYamlTest, RoundTripsASearchConfig) {
  Config search = LoadConfigFromString(
      "strategy: proxyless\nspace: tiny\nproxyless: {target_ms: 3}\n", "s.yaml", {});
  const std::string text = ConfigToYaml(search);
  EXPECT_THAT(text, HasSubstr("net: \"\""));
  EXPECT_EQ(ConfigToYaml(LoadConfigFromString(text, "run 1's config", {})), text);
}

TEST(ConfigTest, EmptyNetIsRefusedWhereTheStrategyTrainsIt) {
  EXPECT_THAT(Errors("strategy: train\nnet: \"\"\n"),
              ElementsAre("test.yaml:2:6: error: net: empty string (got \"\"; expected a path to a "
                          "NetSpec YAML file; strategy train trains the network it describes)"));
}

TEST(ConfigDifferencesTest, NamesEachChangedKeyWithBothValues) {
  Config a = LoadConfigFromString(kMinimal, "a.yaml", {});
  Config b = LoadConfigFromString(kMinimal, "a.yaml", {"train.epochs=7", "seed=9"});
  EXPECT_THAT(ConfigDifferences(a, b), ElementsAre("seed: 1 -> 9", "train.epochs: 2 -> 7"));
  EXPECT_TRUE(ConfigDifferences(a, a).empty());
}

// ---- AMC ------------------------------------------------------------------------------------

TEST(AmcConfigTest, PrunesARunOrANetWithItsWeights) {
  const Config from_run =
      LoadConfigFromString("strategy: amc\namc: {source_run: \"3\"}\n", "dir/test.yaml", {});
  EXPECT_EQ(from_run.amc.source_run, "3");
  EXPECT_EQ(from_run.amc.target_kind, AmcTarget::kFlops);
  EXPECT_EQ(from_run.amc.agent.warmup_episodes, 100);  // AMC's defaults
  EXPECT_DOUBLE_EQ(from_run.amc.agent.sigma_decay, 0.95);
  const Config from_file = LoadConfigFromString(
      "strategy: amc\nnet: n.yaml\namc: {weights: w.pt}\n", "dir/test.yaml", {});
  EXPECT_EQ(from_file.amc.weights, Absolute("dir/w.pt"));  // beside the config, like `net`
}

TEST(AmcConfigTest, RulesAcrossKeysNameTheKey) {
  EXPECT_THAT(
      Errors("strategy: amc\n"),
      ElementsAre("test.yaml:1:1: error: amc.source_run: missing (expected the id or name of "
                  "a finished run, or `net` with amc.weights: the trained network to "
                  "prune)"));
  EXPECT_THAT(Errors("strategy: amc\nnet: n.yaml\namc:\n  source_run: \"1\"\n  weights: w.pt\n"),
              ElementsAre("test.yaml:4:15: error: amc.source_run: given together with "
                          "net/amc.weights (expected either a run or a NetSpec file with its "
                          "weights)"));
  EXPECT_THAT(
      Errors("strategy: amc\nnet: n.yaml\n"),
      ElementsAre("test.yaml:1:1: error: amc.weights: missing (expected the weights file of "
                  "`net`)"));
  EXPECT_THAT(
      Errors("strategy: amc\namc: {source_run: \"1\", target_kind: latency, episodes: 50}\n"),
      ElementsAre("test.yaml:2:1: error: amc.target_ms: required with target_kind latency "
                  "(expected a latency budget in ms, > 0)",
                  "test.yaml:2:56: error: amc.episodes: got 50, not more than the agent's warm-up "
                  "(expected more than amc.agent.warmup_episodes = 100)"));
  EXPECT_THAT(Errors("strategy: amc\namc: {source_run: \"1\"}\n", {"amc.flops_ratio=0"}),
              ElementsAre("override 'amc.flops_ratio=0': error: amc.flops_ratio: out of range "
                          "(got 0; expected a number in (0, 1])"));
}

TEST(ConfigEvolutionTest, TargetsSupernetAndPredictorAreChecked) {
  EXPECT_THAT(
      Errors("strategy: evolution\n"),
      ElementsAre("test.yaml:1:1: error: evolution.supernet_run: required with strategy evolution "
                  "(expected the id or name of a finished proxyless run)",
                  "test.yaml:1:1: error: evolution.targets: required with strategy evolution "
                  "(expected a list of DEVICE:MS, e.g. [\"cpu:0.8\"])"));
  EXPECT_THAT(
      Errors("strategy: evolution\nevolution:\n  supernet_run: \"1\"\n  targets: [cpu, "
             "\"cpu:x\", \"cpu:0.5\", \":2\", \"pixel1:-1\"]\n  predictor: forest\n"),
      ElementsAre("test.yaml:4:12: error: evolution.targets: 'cpu' is not a target (expected "
                  "DEVICE:MS with a latency in ms > 0, e.g. \"cpu:0.8\")",
                  "test.yaml:4:12: error: evolution.targets: 'cpu:x' is not a target (expected "
                  "DEVICE:MS with a latency in ms > 0, e.g. \"cpu:0.8\")",
                  "test.yaml:4:12: error: evolution.targets: ':2' is not a target (expected "
                  "DEVICE:MS with a latency in ms > 0, e.g. \"cpu:0.8\")",
                  "test.yaml:4:12: error: evolution.targets: 'pixel1:-1' is not a target (expected "
                  "DEVICE:MS with a latency in ms > 0, e.g. \"cpu:0.8\")",
                  "test.yaml:5:14: error: evolution.predictor: unknown predictor (got 'forest'; "
                  "expected ridge, gbt or ridge+gbt)"));
  EXPECT_THAT(Errors("strategy: evolution\nevolution: {supernet_run: \"1\", targets: "
                     "[\"cpu:1\"]}\n"),
              ElementsAre());
}

// ---- Names and docs -----------------------------------------------------------------------

TEST(ConfigNamesTest, StrategiesAndDatasets) {
  EXPECT_THAT(StrategyNames(),
              ElementsAre("train", "proxyless", "amc", "haq", "evolution", "pipeline"));
  EXPECT_EQ(DatasetName(DatasetKind::kFashionMnist), "fashion-mnist");
  EXPECT_EQ(DatasetName(DatasetKind::kCifar10), "cifar10");
  EXPECT_EQ(DatasetName(DatasetKind::kSynthetic), "synthetic");
}

TEST(DescribeConfigKeysTest, ListsEveryKeyWithTypeAndDefault) {
  std::vector<ConfigKeyDoc> keys = DescribeConfigKeys();
  // 62 + amc (17 + agent 11) + haq (19 + agent 11) + evolution 15 + pipeline 4
  ASSERT_EQ(keys.size(), 139u);
  auto find = [&](const std::string& key) {
    for (const auto& row : keys) {
      if (row.key == key) return row;
    }
    ADD_FAILURE() << key;
    return ConfigKeyDoc{};
  };
  EXPECT_EQ(find("train.epochs").type, "an integer in [1, 10000]");
  EXPECT_EQ(find("train.epochs").default_value, "2");
  EXPECT_EQ(find("train.learning_rate").type, "a number in (0, 10]");
  EXPECT_EQ(find("data.dataset").type,
            "one of fashion-mnist, cifar10, synthetic, folder, cifar100");
  EXPECT_EQ(find("data.dataset").default_value, "fashion-mnist");
  EXPECT_EQ(find("data.augment").type, "a mapping");
  EXPECT_EQ(find("data.augment.horizontal_flip").default_value, "true");
  EXPECT_TRUE(find("strategy").required);
  EXPECT_FALSE(find("seed").required);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(ConfigDocsTest, DocsMentionEveryKeyWithItsDefault) {
  const std::string docs = ReadText(std::string(HWNAS_SOURCE_DIR) + "/docs/config.md");
  ASSERT_FALSE(docs.empty());
  for (const ConfigKeyDoc& row : DescribeConfigKeys()) {
    std::string needle = "| `" + row.key + "` |";
    size_t at = docs.find(needle);
    ASSERT_NE(at, std::string::npos) << "docs/config.md has no row for " << row.key;
    if (row.default_value.empty() || row.required) continue;
    std::string line = docs.substr(at, docs.find('\n', at) - at);
    EXPECT_THAT(line, HasSubstr("`" + row.default_value + "`")) << row.key;
  }
}

// ---- Shipped configs ----------------------------------------------------------------------

TEST(ShippedConfigsTest, EveryTopLevelConfigValidates) {
  int count = 0;
  for (const auto& entry : fs::directory_iterator(std::string(HWNAS_SOURCE_DIR) + "/configs")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".yaml") continue;
    ++count;
    try {
      Config config = LoadConfig(entry.path().string(), {});
      EXPECT_FALSE(config.name.empty());
    } catch (const ConfigError& e) {
      ADD_FAILURE() << entry.path() << ":\n" << e.what();
    }
  }
  EXPECT_GE(count, 2);
}

TEST(ShippedConfigsTest, QuickstartSaysWhatTheReadmePromises) {
  Config config = LoadConfig(std::string(HWNAS_SOURCE_DIR) + "/configs/quickstart.yaml", {});
  EXPECT_EQ(config.name, "quickstart");
  EXPECT_EQ(config.strategy, "proxyless");
  EXPECT_EQ(config.space, "fmnist-mbconv");
  EXPECT_EQ(config.data.dataset, DatasetKind::kFashionMnist);
  EXPECT_EQ(config.device.name, "cpu");
  EXPECT_EQ(config.proxyless.target_ms, 0.5);
  EXPECT_EQ(config.proxyless.loss, ProxylessLoss::kAddAbsolute);
  EXPECT_EQ(config.proxyless.search_images, 10000);
  EXPECT_EQ(config.proxyless.retrain_epochs, 4);
  EXPECT_FALSE(config.proxyless.fine_tune);
  EXPECT_EQ(config.threads, 2);
  EXPECT_EQ(config.seed, 1u);
}

TEST(ShippedConfigsTest, TrainFmnistTrainsTheHandWrittenNetwork) {
  Config config = LoadConfig(std::string(HWNAS_SOURCE_DIR) + "/configs/train-fmnist.yaml", {});
  EXPECT_EQ(config.strategy, "train");
  EXPECT_EQ(config.net, Absolute(std::string(HWNAS_SOURCE_DIR) + "/configs/nets/fmnist-cnn.yaml"));
  EXPECT_EQ(config.train.epochs, 2);
  EXPECT_EQ(config.data.batch_size, 128);
}

}  // namespace
}  // namespace hwnas
