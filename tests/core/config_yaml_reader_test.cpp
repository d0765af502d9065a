// The generic YAML reading machinery behind config files, exercised on a made-up kind of file
// with lists, as NetSpec, search-space and device files will use it.
#include "core/yaml_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hwnas::yaml {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Lines(Document& doc) {
  std::vector<std::string> lines;
  for (const auto& d : doc.Finish()) lines.push_back(d.ToString());
  return lines;
}

struct Shape {
  int channels = 1;
  int64_t size = 28;
};

struct Toy {
  std::string name = "toy";
  std::vector<int> widths = {8, 16};
  std::vector<std::string> ops;
  Shape input;
};

Schema<Toy> ToySchema() {
  Schema<Shape> shape;
  shape.Integer("channels", &Shape::channels, IntRange::Between(1, 4), "input channels");
  shape.Integer("size", &Shape::size, IntRange::AtLeast(1), "input size", Presence::kRequired);
  Schema<Toy> s;
  s.String("name", &Toy::name, StringRule::kNonEmpty, "its name");
  s.IntegerList("widths", &Toy::widths, IntRange::AtLeast(1), "stage widths");
  s.StringList("ops", &Toy::ops, StringRule::kNonEmpty, "candidate ops");
  s.Section("input", &Toy::input, shape, "input shape");
  return s;
}

TEST(YamlReaderTest, TypedGettersReadValues) {
  Document doc = Document::FromString(
      "n: 3\nx: 0.5\nb: off\ns: hi\nc: k5\nl: [1, 2]\nt: [a, b]\nnested: {k: 1}\n", "t.yaml");
  auto root = doc.Root();
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Keys(), (std::vector<std::string>{"n", "x", "b", "s", "c", "l", "t", "nested"}));
  EXPECT_EQ(root->Integer("n"), 3);
  EXPECT_EQ(root->Real("x", RealRange::Closed(0, 1)), 0.5);
  EXPECT_EQ(root->Bool("b"), false);
  EXPECT_EQ(root->String("s"), "hi");
  EXPECT_EQ(root->Choice("c", {"k3", "k5"}), "k5");
  EXPECT_EQ(root->IntegerList("l"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(root->StringList("t"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(root->Section("nested").Integer("k"), 1);
  EXPECT_EQ(root->Section("nested").path(), "nested");
  EXPECT_EQ(root->Integer("absent"), std::nullopt);
  EXPECT_THAT(Lines(doc), IsEmpty());
}

TEST(YamlReaderTest, ListElementsAreLocatedOneByOne) {
  Document doc = Document::FromString("widths: [4, x, 0]\nops: [k3, \"\"]\n", "t.yaml");
  Toy toy;
  ToySchema().Read(*doc.Root(), &toy);
  EXPECT_THAT(Lines(doc),
              ElementsAre("t.yaml:1:1: error: input.size: missing required key (expected an "
                          "integer >= 1)",
                          "t.yaml:1:13: error: widths[1]: wrong type (got \"x\"; expected an "
                          "integer >= 1)",
                          "t.yaml:1:16: error: widths[2]: out of range (got 0; expected an "
                          "integer >= 1)",
                          "t.yaml:2:11: error: ops[1]: empty string (got \"\"; expected a "
                          "non-empty string)"));
  EXPECT_EQ(toy.widths, (std::vector<int>{8, 16}));  // an invalid list keeps the default
}

TEST(YamlReaderTest, MissingRequiredKeyOfAPresentSectionIsLocatedAtTheSectionKey) {
  Document doc = Document::FromString("name: a\ninput:\n  channels: 3\n", "t.yaml");
  Toy toy;
  ToySchema().Read(*doc.Root(), &toy);
  EXPECT_THAT(Lines(doc), ElementsAre("t.yaml:2:1: error: input.size: missing required key "
                                      "(expected an integer >= 1)"));
  EXPECT_EQ(toy.input.channels, 3);
}

TEST(YamlReaderTest, MemberTypeLimitsTheRange) {
  Document doc = Document::FromString("input: {size: 1, channels: 3000000000}\n", "t.yaml");
  Toy toy;
  ToySchema().Read(*doc.Root(), &toy);
  EXPECT_THAT(Lines(doc), ElementsAre("t.yaml:1:28: error: input.channels: out of range (got "
                                      "3000000000; expected an integer in [1, 4])"));
}

TEST(YamlReaderTest, MappingListElementsHaveTheirOwnKeys) {
  Document doc = Document::FromString(
      "layers:\n  - {kind: conv, out: 8}\n  - {kind: conv, outt: 3}\n  - 5\n", "net.yaml");
  auto root = doc.Root();
  std::vector<Mapping> layers = root->MappingList("layers");
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].path(), "layers[0]");
  for (const Mapping& layer : layers) {
    layer.Choice("kind", {"conv", "mbconv"});
    layer.Integer("out", IntRange::AtLeast(1));
  }
  EXPECT_THAT(Lines(doc),
              ElementsAre("net.yaml:3:18: error: layers[1].outt: unknown key; did you mean "
                          "'layers[1].out'?",
                          "net.yaml:4:5: error: layers[2]: wrong type (got \"5\"; expected a "
                          "mapping)"));
}

TEST(YamlReaderTest, ReportErrorForRulesAcrossKeys) {
  Document doc = Document::FromString("lo: 5\nhi: 3\n", "t.yaml");
  auto root = doc.Root();
  auto lo = root->Integer("lo");
  auto hi = root->Integer("hi");
  if (lo && hi && *hi < *lo) root->ReportError("hi", "must be >= lo (got 3; expected >= 5)");
  root->ReportError("absent", "needed because lo is set");
  EXPECT_THAT(Lines(doc),
              ElementsAre("t.yaml:1:1: error: absent: needed because lo is set",
                          "t.yaml:2:5: error: hi: must be >= lo (got 3; expected >= 5)"));
}

TEST(YamlReaderTest, UndeclaredKeysAreUnknownAndDeclareAcceptsThem) {
  Document doc = Document::FromString("a: 1\nb: 2\nsection: {x: 1}\n", "t.yaml");
  auto root = doc.Root();
  root->Integer("a");
  root->Declare("b");
  EXPECT_THAT(Lines(doc),
              ElementsAre("t.yaml:3:1: error: section: unknown key (expected one of a, b)"));
}

TEST(YamlReaderTest, ReadingTwiceReportsOnceAndSharesDeclarations) {
  Document doc =
      Document::FromString("n: x\nsection: {a: 1, b: 2}\nlist:\n  - {c: 1, d: 2}\n", "t.yaml");
  auto root = doc.Root();
  root->Integer("n");
  root->Integer("n");
  root->Section("section").Integer("a");
  root->Section("section").Integer("b");
  root->MappingList("list")[0].Integer("c");
  root->MappingList("list")[0].Integer("d");
  EXPECT_THAT(Lines(doc), ElementsAre("t.yaml:1:4: error: n: wrong type (got \"x\"; expected an "
                                      "integer)"));
}

TEST(YamlReaderTest, FinishIsIdempotentAndThrowIfErrorsThrows) {
  Document doc = Document::FromString("a: 1\n", "t.yaml");
  doc.Root();
  EXPECT_EQ(doc.Finish().size(), 1u);
  EXPECT_EQ(doc.Finish().size(), 1u);
  EXPECT_THROW(doc.ThrowIfErrors(), ConfigError);
}

TEST(YamlReaderTest, OverridesApplyToAnyDocument) {
  Document doc = Document::FromString("widths: [1]\n", "t.yaml");
  doc.ApplyOverrides({"widths=[2, 3]", "input.size=7", "ops=[a]"});
  Toy toy;
  ToySchema().Read(*doc.Root(), &toy);
  EXPECT_THAT(Lines(doc), IsEmpty());
  EXPECT_EQ(toy.widths, (std::vector<int>{2, 3}));
  EXPECT_EQ(toy.input.size, 7);
  EXPECT_EQ(toy.ops, (std::vector<std::string>{"a"}));
}

TEST(YamlSchemaTest, WriteEmitsEveryKeyAndReadsBack) {
  Toy toy;
  toy.ops = {"k3e6", "skip"};
  toy.input.size = 32;
  YAML::Emitter out;
  ToySchema().Write(toy, out);
  const std::string text = out.c_str();
  EXPECT_EQ(text,
            "name: \"toy\"\nwidths: [8, 16]\nops: [\"k3e6\", \"skip\"]\ninput:\n  channels: 1\n"
            "  size: 32");
  Document doc = Document::FromString(text, "t.yaml");
  Toy reloaded;
  ToySchema().Read(*doc.Root(), &reloaded);
  EXPECT_THAT(Lines(doc), IsEmpty());
  EXPECT_EQ(reloaded.ops, toy.ops);
  EXPECT_EQ(reloaded.input.size, 32);
}

TEST(YamlSchemaTest, DescribeListsKeysWithDefaults) {
  std::vector<KeyDoc> rows;
  ToySchema().Describe(Toy{}, "toy", &rows);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[1].key, "toy.widths");
  EXPECT_EQ(rows[1].type, "a list of integers >= 1");
  EXPECT_EQ(rows[1].default_value, "[8, 16]");
  EXPECT_EQ(rows[3].key, "toy.input");
  EXPECT_EQ(rows[3].type, "a mapping");
  EXPECT_EQ(rows[5].key, "toy.input.size");
  EXPECT_TRUE(rows[5].required);
}

TEST(YamlRangeTest, Describe) {
  EXPECT_EQ(IntRange::Any().Describe(), "an integer");
  EXPECT_EQ(IntRange::AtLeast(0).Describe(), "an integer >= 0");
  EXPECT_EQ(IntRange::Between(1, 4).Describe(), "an integer in [1, 4]");
  EXPECT_EQ(RealRange::Any().Describe(), "a number");
  EXPECT_EQ(RealRange::AtLeast(0).Describe(), "a number >= 0");
  EXPECT_EQ(RealRange::OpenClosed(0, 10).Describe(), "a number in (0, 10]");
  EXPECT_EQ(RealRange::ClosedOpen(0, 1).Describe(), "a number in [0, 1)");
  EXPECT_EQ(RealRange::Closed(0, 0.9).Describe(), "a number in [0, 0.9]");
  EXPECT_TRUE(RealRange::ClosedOpen(0, 1).Contains(0));
  EXPECT_FALSE(RealRange::ClosedOpen(0, 1).Contains(1));
  EXPECT_FALSE(RealRange::OpenClosed(0, 1).Contains(0));
}

}  // namespace
}  // namespace hwnas::yaml
