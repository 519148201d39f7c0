#include <string>
#include <string_view>

#include "api/api_state.h"

extern "C" {

sy_status sy_tokenize(const sy_model* model, const char* text, size_t text_len, int add_bos,
                      int32_t* tokens, size_t capacity, size_t* n_tokens) {
  return sy::guarded("sy_tokenize", [&]() -> sy_status {
    if (model == nullptr || (text == nullptr && text_len > 0) || n_tokens == nullptr ||
        (tokens == nullptr && capacity > 0)) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_tokenize: model, n_tokens, and text and tokens when their "
                              "lengths are nonzero, must not be null");
    }
    std::string_view view(text == nullptr ? "" : text, text_len);
    std::vector<int32_t> ids = model->tokenizer->encode(view, add_bos != 0);
    *n_tokens = ids.size();
    if (ids.size() > capacity) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_tokenize: the text has %zu tokens, but capacity is %zu",
                              ids.size(), capacity);
    }
    std::copy(ids.begin(), ids.end(), tokens);
    return SY_OK;
  });
}

sy_status sy_detokenize(const sy_model* model, const int32_t* tokens, size_t n_tokens, char* text,
                        size_t capacity, size_t* text_len) {
  return sy::guarded("sy_detokenize", [&]() -> sy_status {
    if (model == nullptr || (tokens == nullptr && n_tokens > 0) || text_len == nullptr ||
        (text == nullptr && capacity > 0)) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_detokenize: model, text_len, and tokens and text when their "
                              "lengths are nonzero, must not be null");
    }
    std::string decoded;
    sy::Status status = model->tokenizer->decode({tokens, n_tokens}, &decoded);
    if (!status.ok()) return sy::record(status);
    *text_len = decoded.size();
    if (decoded.size() > capacity) {
      return sy::record_error(SY_ERROR_INVALID_ARGUMENT,
                              "sy_detokenize: the text has %zu bytes, but capacity is %zu",
                              decoded.size(), capacity);
    }
    std::copy(decoded.begin(), decoded.end(), text);
    return SY_OK;
  });
}

}  // extern "C"
