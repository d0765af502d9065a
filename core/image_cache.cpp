#include "core/image_cache.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/errors.h"
#include "core/progress.h"
#include "core/sha256.h"

namespace hwnas {
namespace {

namespace fs = std::filesystem;

// The cache file: this header, one ok byte per image, then the images (HWC uint8) in list order.
constexpr char kMagic[8] = {'H', 'W', 'N', 'A', 'S', 'I', 'C', '1'};
struct Header {
  char magic[8];
  char key[64];  // SHA-256 hex of the file list and the decode settings
  uint64_t count;
  uint64_t size;
  uint64_t channels;
};

size_t FileBytes(const Header& h) {
  return sizeof(Header) + h.count + h.count * h.size * h.size * h.channels;
}

std::string Settings(const ImageCacheOptions& o) {
  return "size=" + std::to_string(o.shape.size) + " channels=" + std::to_string(o.shape.channels) +
         " skip_bad_images=" + (o.skip_bad_images ? "1" : "0") + "\n";
}

std::string CacheKey(const std::vector<ImageFileEntry>& files, const ImageCacheOptions& o) {
  Sha256 hash;
  hash.Update("hwnas image cache v1\n" + Settings(o));
  for (const ImageFileEntry& f : files) {
    hash.Update(f.path + "\t" + std::to_string(f.bytes) + "\t" + std::to_string(f.mtime_ns) + "\n");
  }
  return hash.HexDigest();
}

// One cache file per folder and settings, so a changed folder replaces its old cache file.
std::string CachePath(const ImageCacheOptions& o) {
  const std::string name = Sha256Hex(o.root + "\n" + Settings(o)).substr(0, 20);
  return (fs::path(o.cache_dir) / ("images-" + name + ".u8")).string();
}

// A read-only or writable memory mapping of a file, or anonymous memory.
class Mapping {
 public:
  Mapping() = default;
  Mapping(void* data, size_t size) : data_(data), size_(size) {}
  Mapping(Mapping&& other) noexcept { *this = std::move(other); }
  Mapping& operator=(Mapping&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~Mapping() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }
  uint8_t* data() const { return static_cast<uint8_t*>(data_); }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

class MappedImages : public DecodedImages {
 public:
  MappedImages(Mapping map, bool from_cache) : map_(std::move(map)), from_cache_(from_cache) {
    std::memcpy(&header_, map_.data(), sizeof header_);
  }
  int64_t count() const override { return static_cast<int64_t>(header_.count); }
  int64_t channels() const override { return static_cast<int64_t>(header_.channels); }
  int64_t image_bytes() const override {
    return static_cast<int64_t>(header_.size * header_.size * header_.channels);
  }
  const uint8_t* image(int64_t i) const override {
    return map_.data() + sizeof(Header) + header_.count + i * image_bytes();
  }
  bool ok(int64_t i) const override { return map_.data()[sizeof(Header) + i] != 0; }
  bool from_cache() const override { return from_cache_; }

 private:
  Mapping map_;
  Header header_{};
  bool from_cache_;
};

// The existing cache file if its header carries `key` and its size is right; else nullptr.
std::unique_ptr<DecodedImages> OpenCache(const std::string& path, const std::string& key,
                                         size_t count) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  Header h{};
  struct stat st {};
  const bool valid = ::pread(fd, &h, sizeof h, 0) == static_cast<ssize_t>(sizeof h) &&
                     std::memcmp(h.magic, kMagic, sizeof kMagic) == 0 &&
                     key.compare(0, 64, h.key, 64) == 0 && h.count == count &&
                     ::fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) == FileBytes(h);
  void* data = valid ? ::mmap(nullptr, FileBytes(h), PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (data == MAP_FAILED) return nullptr;
  return std::make_unique<MappedImages>(Mapping(data, FileBytes(h)), true);
}

// Ctrl-C while decoding: the loop stops between chunks and the temporary file is removed.
std::atomic<bool> g_interrupted{false};
void OnInterrupt(int) { g_interrupted = true; }

class InterruptScope {
 public:
  InterruptScope() {
    g_interrupted = false;
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous_int_);
    ::sigaction(SIGTERM, &action, &previous_term_);
  }
  ~InterruptScope() {
    ::sigaction(SIGINT, &previous_int_, nullptr);
    ::sigaction(SIGTERM, &previous_term_, nullptr);
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// Where decoded pixels go: a temporary file beside the cache file, renamed over it by Commit()
// once complete (removed if anything fails first), or anonymous memory when there is no cache.
class Output {
 public:
  Output(const std::string& target, size_t bytes);
  ~Output() {
    if (!temp_.empty()) ::unlink(temp_.c_str());
    if (fd_ >= 0) ::close(fd_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  uint8_t* data() const { return map_.data(); }
  bool cached() const { return fd_ >= 0; }
  std::unique_ptr<DecodedImages> Commit();

 private:
  bool MapFile(size_t bytes, std::string* reason);
  std::string target_, temp_;
  int fd_ = -1;
  Mapping map_;
  size_t bytes_ = 0;
};

// Temporary files of processes that died (SIGKILL) before renaming them.
void RemoveStaleTemporaries(const std::string& target) {
  std::error_code error;
  const std::string prefix = fs::path(target).filename().string() + ".tmp-";
  for (const auto& entry : fs::directory_iterator(fs::path(target).parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      fs::remove(entry.path(), error);
    }
  }
}

Output::Output(const std::string& target, size_t bytes) : target_(target), bytes_(bytes) {
  std::string reason;
  if (!target.empty() && !MapFile(bytes, &reason)) {
    std::fprintf(stderr,
                 "warning: cannot write the image cache %s (%s); the images are decoded without "
                 "a cache (set data.cache_dir to a writable directory)\n",
                 target.c_str(), reason.c_str());
  }
  if (fd_ >= 0) return;
  void* data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) throw std::bad_alloc();
  map_ = Mapping(data, bytes);
}

bool Output::MapFile(size_t bytes, std::string* reason) {
  std::error_code error;
  fs::create_directories(fs::path(target_).parent_path(), error);
  RemoveStaleTemporaries(target_);
  temp_ = target_ + ".tmp-" + std::to_string(::getpid());
  fd_ = ::open(temp_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  void* data = MAP_FAILED;
  if (fd_ >= 0 && ::ftruncate(fd_, static_cast<off_t>(bytes)) == 0) {
    data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  }
  if (data != MAP_FAILED) {
    map_ = Mapping(data, bytes);
    return true;
  }
  *reason = error ? error.message() : std::strerror(errno);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temp_.c_str());
  temp_.clear();
  return false;
}

std::unique_ptr<DecodedImages> Output::Commit() {
  // The data reaches the disk before the name does, so a crash never leaves a cache file with
  // missing pixels behind a valid header.
  if (cached() && ::fdatasync(fd_) == 0 && ::rename(temp_.c_str(), target_.c_str()) == 0) {
    temp_.clear();
  } else if (cached()) {
    std::fprintf(stderr, "warning: cannot write the image cache %s (%s)\n", target_.c_str(),
                 std::strerror(errno));
  }
  return std::make_unique<MappedImages>(std::move(map_), false);
}

// Runs work(i) for i in [0, n) on TBB workers a chunk at a time, so that this thread can draw
// progress and notice Ctrl-C between chunks; after each chunk `check(begin, end)` may throw.
template <typename Work, typename Check>
void ForEachInChunks(int64_t n, ProgressBar& bar, const std::string& what, Work work, Check check) {
  constexpr int64_t kChunk = 128;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    if (g_interrupted) throw Interrupted("interrupted while " + what + "; nothing was cached");
    const int64_t end = std::min(n, begin + kChunk);
    tbb::parallel_for(begin, end, [&](int64_t i) { work(i); });
    check(begin, end);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bar.Update(end,
               std::to_string(static_cast<int64_t>(end / std::max(seconds, 1e-9))) + " images/s");
  }
}

struct Problems {
  std::vector<std::string> messages;  // per file; empty = fine
  bool skip = false;
  // Without skip_bad_images the first problem in list order stops everything.
  void Check(int64_t begin, int64_t end) const {
    for (int64_t i = begin; i < end && !skip; ++i) {
      if (!messages[i].empty()) throw DataError(messages[i]);
    }
  }
};

// channels 0: 1 when every readable image is grayscale, 3 when every one is colour.
int64_t ResolveChannels(const std::vector<ImageFileEntry>& files, const ImageCacheOptions& o,
                        Problems& problems) {
  if (o.shape.channels != 0) return o.shape.channels;
  std::vector<int64_t> channels(files.size(), 0);
  ProgressBar bar("reading image headers", static_cast<int64_t>(files.size()), o.show_progress);
  ForEachInChunks(
      static_cast<int64_t>(files.size()), bar, "reading image headers",
      [&](int64_t i) {
        try {
          channels[i] = ProbeImage(files[i].path).channels;
        } catch (const DataError& e) {
          problems.messages[i] = e.what();
        }
      },
      [&](int64_t begin, int64_t end) { problems.Check(begin, end); });
  bar.Finish("");
  const auto gray = std::find(channels.begin(), channels.end(), 1);
  const auto colour = std::find(channels.begin(), channels.end(), 3);
  if (gray != channels.end() && colour != channels.end()) {
    throw DataError(o.root + ": grayscale and colour images are mixed (" +
                    files[gray - channels.begin()].path + " is grayscale, " +
                    files[colour - channels.begin()].path +
                    " is colour); set data.channels to 1 (all as grayscale) or 3 (all as RGB)");
  }
  return gray != channels.end() ? 1 : 3;
}

void WarnSkipped(const std::vector<ImageFileEntry>& files, const Problems& problems) {
  int64_t skipped = 0;
  for (const std::string& m : problems.messages) skipped += m.empty() ? 0 : 1;
  if (skipped == 0) return;
  std::fprintf(stderr,
               "warning: skipped %lld of %zu images that cannot be decoded "
               "(data.skip_bad_images):\n",
               static_cast<long long>(skipped), files.size());
  for (const std::string& m : problems.messages) {
    if (!m.empty()) std::fprintf(stderr, "  %s\n", m.c_str());
  }
}

std::string Summary(int64_t count, const ImageCacheOptions& o, double seconds, bool cached) {
  char text[160];
  std::snprintf(text, sizeof text, "decoded %lld images in %.1fs (%.0f images/s)",
                static_cast<long long>(count), seconds, count / std::max(seconds, 1e-9));
  return text + std::string(cached ? "; cached in " + CachePath(o) : "");
}

std::unique_ptr<DecodedImages> DecodeAll(const std::vector<ImageFileEntry>& files,
                                         const ImageCacheOptions& o, const std::string& key) {
  InterruptScope interrupt;
  Problems problems{std::vector<std::string>(files.size()), o.skip_bad_images};
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  std::memcpy(h.key, key.data(), sizeof h.key);
  h.count = files.size();
  h.size = static_cast<uint64_t>(o.shape.size);
  h.channels = static_cast<uint64_t>(ResolveChannels(files, o, problems));
  Output out(o.cache_dir.empty() ? "" : CachePath(o), FileBytes(h));
  std::memcpy(out.data(), &h, sizeof h);
  uint8_t* ok = out.data() + sizeof h;
  uint8_t* pixels = ok + h.count;
  const size_t image_bytes = h.size * h.size * h.channels;
  const ImageShape shape{o.shape.size, static_cast<int64_t>(h.channels)};
  const auto start = std::chrono::steady_clock::now();
  ProgressBar bar("decoding images", static_cast<int64_t>(files.size()), o.show_progress);
  ForEachInChunks(
      static_cast<int64_t>(files.size()), bar, "decoding images",
      [&](int64_t i) {
        if (!problems.messages[i].empty()) return;  // its header was already unreadable
        try {
          const std::vector<uint8_t> image = DecodeImage(files[i].path, shape);
          std::memcpy(pixels + i * image_bytes, image.data(), image_bytes);
          ok[i] = 1;
        } catch (const DataError& e) {
          problems.messages[i] = e.what();
        }
      },
      [&](int64_t begin, int64_t end) { problems.Check(begin, end); });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  bar.Finish(Summary(static_cast<int64_t>(files.size()), o, seconds, out.cached()));
  WarnSkipped(files, problems);
  return out.Commit();
}

}  // namespace

std::unique_ptr<DecodedImages> LoadDecodedImages(const std::vector<ImageFileEntry>& files,
                                                 const ImageCacheOptions& options) {
  const std::string key = CacheKey(files, options);
  if (!options.cache_dir.empty()) {
    if (auto cached = OpenCache(CachePath(options), key, files.size())) return cached;
  }
  return DecodeAll(files, options, key);
}

std::string DefaultImageCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg == '/') return (fs::path(xdg) / "hwnas").string();
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return (fs::path(home) / ".cache" / "hwnas").string();
  return "/tmp/hwnas-cache-" + std::to_string(::getuid());
}

}  // namespace hwnas
