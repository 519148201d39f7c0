/* switchyard.h: C API of libswitchyard, the Switchyard MoE inference runtime.
 *
 * Contract:
 * - Every function that can fail returns sy_status; on failure
 *   sy_last_error() returns a message for the calling thread that names the
 *   object and the values involved. No C++ exception crosses this API.
 * - A sy_model is immutable after loading and may be shared by several
 *   contexts on different threads. A sy_context is used by one thread at a time.
 * - A sy_model must outlive every sy_context created from it.
 * - Option structs start with struct_size; call the matching *_init function
 *   first so that fields added later get their defaults.
 */
#ifndef SWITCHYARD_H
#define SWITCHYARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SY_API __declspec(dllexport)
#else
#define SY_API __attribute__((visibility("default")))
#endif

typedef enum sy_status {
  SY_OK = 0,
  SY_ERROR_INVALID_ARGUMENT = 1, /* a null pointer, bad option value or out-of-range id */
  SY_ERROR_IO = 2,               /* a file could not be opened, mapped or read */
  SY_ERROR_INVALID_BUNDLE = 3,   /* corrupt, truncated or unsupported bundle */
  SY_ERROR_UNSUPPORTED = 4,      /* the model or device needs a feature this build lacks */
  SY_ERROR_DEVICE = 5,           /* a Vulkan call failed or the device was lost */
  SY_ERROR_OUT_OF_MEMORY = 6,    /* host or device memory exhausted */
  SY_ERROR_CONTEXT_FULL = 7,     /* the tokens do not fit in the context's KV cache */
  SY_ERROR_INTERNAL = 8
} sy_status;

typedef enum sy_log_level {
  SY_LOG_DEBUG = 0,
  SY_LOG_INFO = 1,
  SY_LOG_WARN = 2,
  SY_LOG_ERROR = 3
} sy_log_level;

typedef struct sy_model sy_model;
typedef struct sy_context sy_context;

/* Logging. The callback receives messages at or above min_level (default
 * SY_LOG_WARN); a null callback restores the default, which writes to stderr. */
typedef void (*sy_log_fn)(sy_log_level level, const char* message, void* user_data);
SY_API void sy_set_log_callback(sy_log_fn callback, void* user_data, sy_log_level min_level);

/* Message of the last failed call on this thread; "" when there is none. */
SY_API const char* sy_last_error(void);
SY_API const char* sy_status_name(sy_status status);
SY_API const char* sy_version(void);

/* ---- Model ---- */

typedef struct sy_model_options {
  uint32_t struct_size;
  /* NULL or "" chooses automatically (discrete, integrated, then CPU Vulkan
   * devices, then the CPU backend); "cpu" forces the CPU backend; a decimal
   * index or a substring of a Vulkan device name selects that device. */
  const char* device;
  int verify_checksums; /* 1 (default) checks every tensor's XXH64 on load */
  /* Limits the Vulkan backend plans with. NULL or "" (default) reads the
   * SWITCHYARD_DEVICE_PROFILE environment variable, and uses the device's own
   * limits when it is unset; "native" uses the device's own limits; "mobile"
   * plans as on a typical phone GPU: storage buffers of at most 128 MiB, 16 KiB
   * of shared memory and 128 invocations per workgroup, no subgroup
   * operations, no fp16 arithmetic, no 8-bit storage. The CPU backend ignores
   * it; on Vulkan any other value fails with SY_ERROR_INVALID_ARGUMENT. */
  const char* device_profile;
} sy_model_options;

SY_API void sy_model_options_init(sy_model_options* options);
SY_API sy_status sy_model_load(const char* path, const sy_model_options* options, sy_model** out);
SY_API void sy_model_free(sy_model* model);

typedef struct sy_model_info {
  uint32_t struct_size;
  uint32_t vocab_size;
  uint32_t num_layers;
  uint32_t hidden_size;
  uint32_t num_experts;
  uint32_t top_k;
  uint32_t max_context;
  int32_t bos_id; /* -1 when the tokenizer has none */
  int32_t eos_id;
} sy_model_info;

SY_API sy_status sy_model_get_info(const sy_model* model, sy_model_info* info);
/* Name of the device the model runs on, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)" or "cpu". */
SY_API const char* sy_model_device_name(const sy_model* model);

/* ---- Tokenizer ---- */

/* Encodes UTF-8 text (invalid bytes go through byte fallback). Writes at most
 * capacity ids; *n_tokens receives the full count, so a call with capacity 0
 * measures. Returns SY_ERROR_INVALID_ARGUMENT when capacity is too small. */
SY_API sy_status sy_tokenize(const sy_model* model, const char* text, size_t text_len,
                             int add_bos, int32_t* tokens, size_t capacity, size_t* n_tokens);
/* Decodes ids to UTF-8 text; same capacity rule as sy_tokenize, in bytes,
 * without a terminating zero. */
SY_API sy_status sy_detokenize(const sy_model* model, const int32_t* tokens, size_t n_tokens,
                               char* text, size_t capacity, size_t* text_len);

/* ---- Context ---- */

typedef struct sy_context_options {
  uint32_t struct_size;
  uint32_t n_ctx; /* KV cache positions; 0 means the model's max_context */
} sy_context_options;

SY_API void sy_context_options_init(sy_context_options* options);
SY_API sy_status sy_context_create(sy_model* model, const sy_context_options* options,
                                   sy_context** out);
SY_API void sy_context_free(sy_context* context);
/* Clears the KV cache; the next tokens start at position 0. */
SY_API void sy_context_reset(sy_context* context);
SY_API uint32_t sy_context_position(const sy_context* context);

/* Runs tokens at the current position, appends them to the KV cache, and keeps
 * the logits of the last n_logits positions (1 <= n_logits <= n_tokens). */
SY_API sy_status sy_decode(sy_context* context, const int32_t* tokens, size_t n_tokens,
                           uint32_t n_logits);
/* Copies logits row `row` (0 = oldest of the kept rows) of the last sy_decode. */
SY_API sy_status sy_get_logits(const sy_context* context, uint32_t row, float* logits,
                               size_t capacity);
/* Copies the routing of the last sy_decode as [num_layers, n_tokens, top_k]:
 * expert ids (-1 in dense layers) and their weights. */
SY_API sy_status sy_get_routing(sy_context* context, int32_t* experts, float* weights,
                                size_t capacity);
/* Copies expert usage since the context was created or last reset:
 * counts[layer * num_experts + expert] is how many routing slots (one per
 * token and chosen expert) picked that expert; dense layers stay 0. capacity
 * is in elements and must be at least num_layers * num_experts. */
SY_API sy_status sy_get_expert_usage(const sy_context* context, uint32_t* counts,
                                     size_t capacity);

/* ---- Generation ---- */

typedef struct sy_sampling_options {
  float temperature;        /* 0 means greedy (argmax, ties to the lower id); default 0.8 */
  int32_t top_k;            /* 0 disables; default 40 */
  float top_p;              /* 1 disables; default 0.95 */
  float repetition_penalty; /* 1 disables; default 1.1 */
  uint32_t repetition_window; /* last tokens the penalty looks at; default 64 */
  uint64_t seed;            /* same seed, same prompt and options give the same text */
} sy_sampling_options;

typedef enum sy_stop_reason {
  SY_STOP_MAX_TOKENS = 0,
  SY_STOP_EOS = 1,
  SY_STOP_STRING = 2,
  SY_STOP_CALLBACK = 3,
  SY_STOP_CONTEXT_FULL = 4
} sy_stop_reason;

typedef struct sy_generate_stats {
  uint32_t prompt_tokens;
  uint32_t generated_tokens;
  double prefill_seconds;
  double decode_seconds;
  sy_stop_reason stop_reason;
} sy_generate_stats;

typedef struct sy_generate_options {
  uint32_t struct_size;
  sy_sampling_options sampling;
  uint32_t max_tokens;             /* default 128 */
  const char* const* stop_strings; /* generation stops after text ending in one of these */
  size_t n_stop_strings;
  int add_bos;                     /* default 1: prepend BOS when the tokenizer has one */
} sy_generate_options;

/* Receives each new token and the UTF-8 text it completes (may be empty while
 * a multi-byte character is incomplete). Return nonzero to stop. */
typedef int (*sy_token_fn)(int32_t token, const char* text, size_t text_len, void* user_data);

SY_API void sy_generate_options_init(sy_generate_options* options);
/* Appends the prompt to the context, then samples up to max_tokens tokens.
 * Every token that the callback receives except the last one is appended to
 * the context as well; stop tokens are not passed to the callback. */
SY_API sy_status sy_generate(sy_context* context, const char* prompt,
                             const sy_generate_options* options, sy_token_fn on_token,
                             void* user_data, sy_generate_stats* stats);

#ifdef __cplusplus
}
#endif

#endif /* SWITCHYARD_H */
