#include "rollout/weight_codec.h"

#include <bit>
#include <cstring>
#include <string>

namespace rl::rollout {

static_assert(std::endian::native == std::endian::little,
              "weight chunks are little-endian fp32 and copied as is");

uint64_t Fnv1a64(const void* data, size_t size, uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

StatusOr<EncodeStats> EncodeWeights(int64_t version, std::string_view config_json,
                                    const model::ParamMap& params, int64_t chunk_bytes,
                                    const std::function<bool(const proto::WeightChunk&)>& emit) {
  if (chunk_bytes < 4) return absl::InvalidArgumentError("chunk_bytes: must be >= 4");
  if (params.empty()) return absl::InvalidArgumentError("weights: no tensors");
  const int64_t per_chunk = chunk_bytes / 4;
  EncodeStats st;
  uint64_t h = Fnv1a64(nullptr, 0);
  proto::WeightChunk c;
  bool first = true;
  int64_t index = 0;
  for (const auto& [name, t] : params) {
    ++index;
    if (static_cast<int64_t>(t.data.size()) != t.numel()) {
      return absl::InvalidArgumentError("tensor " + name + ": data size does not match its shape");
    }
    h = Fnv1a64(name.data(), name.size(), h);
    const int64_t n = t.numel();
    int64_t offset = 0;
    do {
      const int64_t take = std::min(per_chunk, n - offset);
      c.Clear();
      c.set_version(version);
      if (first) {
        c.set_num_tensors(static_cast<int64_t>(params.size()));
        c.set_config_json(std::string(config_json));
        first = false;
      }
      c.set_tensor_name(name);
      if (offset == 0) {
        for (int64_t d : t.shape) c.add_shape(d);
      }
      c.set_offset(offset);
      const size_t nbytes = static_cast<size_t>(take) * 4;
      if (nbytes > 0) {  // an empty tensor has no data pointer
        c.mutable_data()->assign(reinterpret_cast<const char*>(t.data.data() + offset), nbytes);
        h = Fnv1a64(t.data.data() + offset, nbytes, h);
      }
      offset += take;
      st.bytes += static_cast<int64_t>(nbytes);
      if (index == static_cast<int64_t>(params.size()) && offset == n) {
        c.set_last(true);
        c.set_checksum(h);
      }
      ++st.chunks;
      if (!emit(c)) return absl::UnavailableError("weight stream closed by the receiver");
    } while (offset < n);
    ++st.tensors;
  }
  st.checksum = h;
  return st;
}

Status WeightAssembler::CloseTensor() {
  if (current_ == nullptr) return absl::OkStatus();
  if (filled_ != current_->numel()) {
    return absl::DataLossError("tensor " + current_name_ + ": got " + std::to_string(filled_) +
                               " of " + std::to_string(current_->numel()) + " values");
  }
  current_ = nullptr;
  return absl::OkStatus();
}

Status WeightAssembler::Add(const proto::WeightChunk& c) {
  const std::string where =
      "weight chunk " + std::to_string(chunks_) + " (tensor '" + c.tensor_name() + "'): ";
  if (last_seen_) return absl::InvalidArgumentError(where + "after the last chunk");
  if (chunks_ == 0) {
    update_.version = c.version();
    update_.config_json = c.config_json();
    num_tensors_ = c.num_tensors();
    checksum_ = Fnv1a64(nullptr, 0);
    if (num_tensors_ <= 0) return absl::InvalidArgumentError(where + "num_tensors must be > 0");
  } else if (c.version() != update_.version) {
    return absl::InvalidArgumentError(where + "version " + std::to_string(c.version()) +
                                      " differs from the update's " +
                                      std::to_string(update_.version));
  }
  ++chunks_;
  if (c.data().size() % 4 != 0) return absl::DataLossError(where + "data is not whole fp32 values");
  if (current_ == nullptr || c.tensor_name() != current_name_) {
    RL_RETURN_IF_ERROR(CloseTensor());
    if (c.offset() != 0) return absl::DataLossError(where + "a new tensor must start at offset 0");
    if (c.tensor_name().empty()) return absl::InvalidArgumentError(where + "empty tensor_name");
    auto [it, inserted] = update_.params.try_emplace(c.tensor_name());
    if (!inserted) return absl::InvalidArgumentError(where + "tensor sent twice");
    current_ = &it->second;
    current_name_ = c.tensor_name();
    current_->shape.assign(c.shape().begin(), c.shape().end());
    for (int64_t d : current_->shape) {
      if (d < 0) return absl::InvalidArgumentError(where + "negative dimension");
    }
    if (current_->numel() > (int64_t{1} << 34))
      return absl::InvalidArgumentError(where + "too large");
    current_->data.resize(static_cast<size_t>(current_->numel()));
    filled_ = 0;
    checksum_ = Fnv1a64(current_name_.data(), current_name_.size(), checksum_);
  } else if (c.offset() != filled_) {
    return absl::DataLossError(where + "offset " + std::to_string(c.offset()) + ", expected " +
                               std::to_string(filled_));
  }
  const int64_t n = static_cast<int64_t>(c.data().size() / 4);
  if (filled_ + n > current_->numel()) {
    return absl::DataLossError(where + "more values than the shape holds");
  }
  if (n > 0) std::memcpy(current_->data.data() + filled_, c.data().data(), c.data().size());
  checksum_ = Fnv1a64(c.data().data(), c.data().size(), checksum_);
  filled_ += n;
  bytes_ += static_cast<int64_t>(c.data().size());
  if (c.last()) {
    last_seen_ = true;
    expected_checksum_ = c.checksum();
    RL_RETURN_IF_ERROR(CloseTensor());
  }
  return absl::OkStatus();
}

StatusOr<WeightUpdate> WeightAssembler::Finish() {
  if (!last_seen_) {
    return absl::DataLossError("weight update of version " + std::to_string(update_.version) +
                               ": stream ended before the last chunk (" + std::to_string(chunks_) +
                               " chunks)");
  }
  if (static_cast<int64_t>(update_.params.size()) != num_tensors_) {
    return absl::DataLossError("weight update: " + std::to_string(update_.params.size()) +
                               " tensors received, " + std::to_string(num_tensors_) + " announced");
  }
  if (checksum_ != expected_checksum_) {
    return absl::DataLossError("weight update of version " + std::to_string(update_.version) +
                               ": checksum mismatch");
  }
  return std::move(update_);
}

}  // namespace rl::rollout
