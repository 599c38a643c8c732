#include "rl/io/sharded.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rl::io {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ShardName(size_t i, size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
  return buf;
}

}  // namespace

StatusOr<CheckpointWeights> CheckpointWeights::Open(const std::string& dir) {
  CheckpointWeights w;
  const fs::path index_path = fs::path(dir) / kWeightsIndexFile;
  const fs::path single_path = fs::path(dir) / kSingleWeightsFile;
  if (!fs::exists(index_path)) {
    if (!fs::exists(single_path)) {
      return absl::NotFoundError(dir + ": no " + kSingleWeightsFile + " or " + kWeightsIndexFile);
    }
    RL_ASSIGN_OR_RETURN(auto reader, SafetensorsReader::Open(single_path.string()));
    for (const auto& e : reader->entries()) w.tensors_[e.name] = {reader.get(), &e};
    w.readers_.push_back(std::move(reader));
    return w;
  }
  const std::string ip = index_path.string();
  std::ifstream in(ip, std::ios::binary);
  if (!in) return absl::NotFoundError(ip + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  json index;
  try {
    index = json::parse(ss.str());
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(ip + ": not valid JSON: " + e.what());
  }
  if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
    return absl::InvalidArgumentError(ip + ": missing the 'weight_map' object");
  }
  std::map<std::string, SafetensorsReader*> by_file;
  for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
    if (!it.value().is_string()) {
      return absl::InvalidArgumentError(ip + ": weight_map." + it.key() + " must be a file name");
    }
    std::string file = it.value().get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
      return absl::InvalidArgumentError(ip + ": weight_map." + it.key() + ": shard '" + file +
                                        "' must be a plain file name in the directory");
    }
    auto [pos, inserted] = by_file.emplace(file, nullptr);
    if (inserted) {
      RL_ASSIGN_OR_RETURN(auto reader, SafetensorsReader::Open((fs::path(dir) / file).string()));
      pos->second = reader.get();
      w.readers_.push_back(std::move(reader));
    }
    const TensorEntry* e = pos->second->Find(it.key());
    if (e == nullptr) {
      return absl::DataLossError(ip + ": tensor '" + it.key() + "' is mapped to " + file +
                                 " but that shard does not contain it");
    }
    w.tensors_[it.key()] = {pos->second, e};
  }
  return w;
}

const CheckpointWeights::Located* CheckpointWeights::Find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

StatusOr<std::vector<float>> CheckpointWeights::ReadFloat(const std::string& name) const {
  const Located* l = Find(name);
  if (l == nullptr) return absl::NotFoundError("checkpoint has no tensor '" + name + "'");
  std::vector<float> out(static_cast<size_t>(l->entry->numel()));
  RL_RETURN_IF_ERROR(l->reader->ReadFloat(*l->entry, out));
  return out;
}

std::vector<std::string> CheckpointWeights::files() const {
  std::vector<std::string> out;
  for (const auto& r : readers_) out.push_back(r->path());
  return out;
}

Status WriteCheckpointWeights(const std::string& dir, std::span<const TensorToWrite> tensors,
                              DType dtype, uint64_t max_shard_bytes,
                              const std::map<std::string, std::string>& metadata) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(dir + ": cannot create directory: " + ec.message());
  std::vector<const TensorToWrite*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(),
            [](const TensorToWrite* a, const TensorToWrite* b) { return a->name < b->name; });
  // Greedy packing in name order.
  std::vector<std::vector<TensorToWrite>> shards(1);
  uint64_t cur = 0, total = 0;
  for (const auto* t : order) {
    uint64_t bytes = TensorBytes(static_cast<int64_t>(t->data.size()), dtype);
    if (max_shard_bytes > 0 && cur > 0 && cur + bytes > max_shard_bytes) {
      shards.emplace_back();
      cur = 0;
    }
    shards.back().push_back(*t);
    cur += bytes;
    total += bytes;
  }
  const fs::path index_path = fs::path(dir) / kWeightsIndexFile;
  const fs::path single_path = fs::path(dir) / kSingleWeightsFile;
  if (shards.size() == 1) {
    RL_RETURN_IF_ERROR(WriteSafetensors(single_path.string(), shards[0], dtype, metadata));
    fs::remove(index_path, ec);
    return absl::OkStatus();
  }
  json index = {{"metadata", {{"total_size", total}}}, {"weight_map", json::object()}};
  for (size_t i = 0; i < shards.size(); ++i) {
    std::string name = ShardName(i, shards.size());
    RL_RETURN_IF_ERROR(WriteSafetensors((fs::path(dir) / name).string(), shards[i], dtype, metadata));
    for (const auto& t : shards[i]) index["weight_map"][t.name] = name;
  }
  const std::string tmp = index_path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << index.dump(2) << "\n";
    if (!out) return absl::UnavailableError(tmp + ": write failed");
  }
  fs::rename(tmp, index_path, ec);
  if (ec) return absl::UnavailableError(index_path.string() + ": rename failed: " + ec.message());
  fs::remove(single_path, ec);
  return absl::OkStatus();
}

}  // namespace rl::io
