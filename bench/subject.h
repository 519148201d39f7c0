// One bundle under measurement in switchyard-bench: its model and context,
// the weight bytes each decode step reads, and the figures taken so far.
// Several subjects can be measured in turn, step by step, so that a change in
// the machine's speed during a run affects each of them alike.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "switchyard/switchyard.h"

namespace sy::bench {

// Bytes of weights a decode step reads, split into what every token reads
// and what each chosen expert adds per layer.
struct WeightTraffic {
  uint64_t bundle_bytes = 0;
  uint64_t fixed_bytes = 0;            // attention, norms, router, LM head, one embedding row
  std::vector<uint64_t> expert_bytes;  // per layer: bytes of one expert (gate/up and down)
  uint64_t kv_bytes_per_position = 0;  // K and V of all layers, f32
};

struct Subject {
  std::string path;
  WeightTraffic traffic;
  sy_model* model = nullptr;
  sy_context* context = nullptr;
  sy_model_info info{};
  uint32_t n_ctx = 0;
  double load_s = 0;
  uint64_t rss_before_load = 0;
  uint64_t rss_after_load = 0;
  nlohmann::json prefill = nlohmann::json::array();  // {tokens, seconds, tokens_per_s} rows
  double decode_s = 0;
  std::vector<double> step_ms;
  uint64_t decode_bytes = 0;
  int32_t next_token = 5;

  Subject() = default;
  Subject(const Subject&) = delete;
  Subject& operator=(const Subject&) = delete;
  ~Subject();
};

// The work a subject is loaded for: it sizes the context.
struct Workload {
  std::string device;  // sy_model_options.device
  uint32_t longest_prompt = 0;
  uint32_t decode_steps = 0;
};

// Reads the bundle's header, loads it and creates a context large enough for
// the workload. Returns 0, or the exit status to stop with after printing
// why: 2 when the workload does not fit the model's context, 1 otherwise.
int load_subject(const std::string& path, const Workload& workload, Subject* out);

// Times a prefill of `n` tokens from an empty cache, reading the last logits.
bool time_prefill(Subject& subject, uint32_t n);

// Empties the cache and prefills the 16-token prompt that decode steps follow.
bool start_decode(Subject& subject);

// Times one decode step and adds the weight bytes its routing read.
bool time_decode_step(Subject& subject);

// Resident set size now, and its peak so far, in bytes.
uint64_t resident_bytes();
uint64_t peak_resident_bytes();

}  // namespace sy::bench
