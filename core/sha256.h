// SHA-256 (FIPS 180-4) for config hashes and artifact checksums. Small and dependency-free;
// not meant for large-volume hashing or anything security-sensitive beyond integrity checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hwnas {

// Incremental hasher: Update() any number of times, then HexDigest() once.
class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Lowercase hex of the 32-byte digest. Finalizes: call it once.
  std::string HexDigest();

 private:
  void Compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string Sha256Hex(std::string_view data);

// Hashes a whole file; stores its size in `bytes` when given. Throws IoError if unreadable.
std::string Sha256FileHex(const std::string& path, uint64_t* bytes = nullptr);

}  // namespace hwnas
