// switchyard.hpp: thin C++ RAII wrappers over the C API in switchyard.h.
// Nothing here throws on a runtime error: calls return a Status, or a Result
// that contains either a value or a Status. A Model must outlive its Contexts.
#ifndef SWITCHYARD_HPP
#define SWITCHYARD_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "switchyard/switchyard.h"

namespace switchyard {

struct Status {
  sy_status code = SY_OK;
  std::string message;

  bool ok() const { return code == SY_OK; }
  // Captures sy_last_error() after a failed call.
  static Status from(sy_status code) {
    return code == SY_OK ? Status{} : Status{code, sy_last_error()};
  }
};

// A value or the Status of the call that failed to produce it.
template <typename T>
class Result {
 public:
  Result(T value) : data_(std::move(value)) {}
  Result(Status status) : data_(std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(data_); }
  // Returns the value. Check ok() first: on an error result this prints the
  // error to stderr and aborts, because this header throws no exceptions.
  T& value() {
    T* value = std::get_if<T>(&data_);
    if (value == nullptr) {
      std::fprintf(stderr, "switchyard: Result::value() called on an error result: %s\n",
                   std::get_if<Status>(&data_)->message.c_str());
      std::abort();
    }
    return *value;
  }
  const Status& status() const {
    static const Status success;
    return ok() ? success : std::get<Status>(data_);
  }

 private:
  std::variant<T, Status> data_;
};

class Model {
 public:
  Model(Model&& other) noexcept : model_(std::exchange(other.model_, nullptr)) {}
  Model& operator=(Model&& other) noexcept {
    std::swap(model_, other.model_);
    return *this;
  }
  ~Model() { sy_model_free(model_); }

  // Loads a bundle; `device` is "" (automatic), "cpu", an index or a name
  // substring; `device_profile` is as sy_model_options.device_profile.
  static Result<Model> load(const std::string& path, const std::string& device = "",
                            bool verify_checksums = true, const std::string& device_profile = "") {
    sy_model_options options;
    sy_model_options_init(&options);
    options.device = device.c_str();
    options.verify_checksums = verify_checksums ? 1 : 0;
    options.device_profile = device_profile.c_str();
    sy_model* model = nullptr;
    sy_status code = sy_model_load(path.c_str(), &options, &model);
    if (code != SY_OK) return Status::from(code);
    return Model(model);
  }

  sy_model_info info() const {
    sy_model_info info{};
    info.struct_size = sizeof(info);
    sy_model_get_info(model_, &info);
    return info;
  }
  std::string device_name() const { return sy_model_device_name(model_); }

  Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_bos = true) const {
    size_t count = 0;
    sy_tokenize(model_, text.data(), text.size(), add_bos, nullptr, 0, &count);
    std::vector<int32_t> ids(count);
    sy_status code = sy_tokenize(model_, text.data(), text.size(), add_bos, ids.data(), ids.size(),
                                 &count);
    if (code != SY_OK) return Status::from(code);
    return ids;
  }

  sy_model* get() const { return model_; }

 private:
  explicit Model(sy_model* model) : model_(model) {}
  sy_model* model_ = nullptr;
};

class Context {
 public:
  // Receives each token and the text it completes; return false to stop.
  using TokenCallback = std::function<bool(int32_t token, std::string_view text)>;

  Context(Context&& other) noexcept : context_(std::exchange(other.context_, nullptr)) {}
  Context& operator=(Context&& other) noexcept {
    std::swap(context_, other.context_);
    return *this;
  }
  ~Context() { sy_context_free(context_); }

  // Creates a context of n_ctx positions (0: the model's max context).
  static Result<Context> create(const Model& model, uint32_t n_ctx = 0) {
    sy_context_options options;
    sy_context_options_init(&options);
    options.n_ctx = n_ctx;
    sy_context* context = nullptr;
    sy_status code = sy_context_create(model.get(), &options, &context);
    if (code != SY_OK) return Status::from(code);
    return Context(context);
  }

  Result<sy_generate_stats> generate(const std::string& prompt, const sy_generate_options& options,
                                     const TokenCallback& on_token) {
    sy_generate_stats stats{};
    sy_status code = sy_generate(context_, prompt.c_str(), &options, &Context::forward_token,
                                 const_cast<TokenCallback*>(&on_token), &stats);
    if (code != SY_OK) return Status::from(code);
    return stats;
  }

  // Expert usage since creation or reset, as [num_layers * num_experts].
  Result<std::vector<uint32_t>> expert_usage(const Model& model) const {
    sy_model_info info = model.info();
    std::vector<uint32_t> counts(static_cast<size_t>(info.num_layers) * info.num_experts);
    sy_status code = sy_get_expert_usage(context_, counts.data(), counts.size());
    if (code != SY_OK) return Status::from(code);
    return counts;
  }

  void reset() { sy_context_reset(context_); }
  sy_context* get() const { return context_; }

 private:
  explicit Context(sy_context* context) : context_(context) {}

  static int forward_token(int32_t token, const char* text, size_t text_len, void* user_data) {
    const auto& callback = *static_cast<const TokenCallback*>(user_data);
    if (!callback) return 0;
    return callback(token, std::string_view(text, text_len)) ? 0 : 1;
  }

  sy_context* context_ = nullptr;
};

}  // namespace switchyard

#endif  // SWITCHYARD_HPP
