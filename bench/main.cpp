// switchyard-bench: load time, prefill and decode rates, host memory and the
// weight bandwidth decode implies, for one bundle or several, next to the
// device's own copy bandwidth. Prints a table and writes the same figures as
// JSON.
//
// Usage: switchyard-bench BUNDLE... [--json PATH] [--device NAME] [--decode N]
//                         [--prompts 16,64,256,1024] [--profile]; --help lists them.
// With several bundles, all are loaded first. Each prompt length is then
// prefilled on each bundle in turn, and decode steps go round the bundles one
// step at a time, every other round in reverse order, so that their figures
// compare under the same machine load.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "copy_bandwidth.h"
#include "subject.h"

namespace {

using sy::bench::Subject;

struct Options {
  std::vector<std::string> bundles;
  bool json_given = false;
  std::string json_path;
  std::string device;
  uint32_t decode_tokens = 32;
  std::vector<uint32_t> prompts = {16, 64, 256, 1024};
  bool profile = false;
};

// Parses the command line into `options`. Returns the exit status to stop
// with (0 after --help, 2 for a bad command line), or -1 to go on.
int parse_args(int argc, char** argv, Options* options) {
  CLI::App app{"Time loading, prefill and decode of bundles, with host memory and the weight "
               "bandwidth decode implies"};
  app.add_option("bundles", options->bundles,
                 "Compiled model bundles (.syb); with several, host memory is not measured")
      ->required()
      ->check(CLI::ExistingFile);
  CLI::Option* json = app.add_option("--json", options->json_path,
                 "Also write the results as JSON to this file: an object, or an array of them "
                 "for several bundles");
  app.add_option("--device", options->device,
                 "Vulkan device index or name substring, or cpu; default: automatic");
  app.add_option("--decode", options->decode_tokens, "Decode steps to time")
      ->check(sy::bench::whole_number(1, 65536))
      ->capture_default_str();
  app.add_option("--prompts", options->prompts,
                 "Prompt lengths in tokens to time prefill with, separated by commas")
      ->delimiter(',')
      ->check(sy::bench::whole_number(1, 1048576))
      ->capture_default_str();
  app.add_flag("--profile", options->profile,
               "Print the device time of each kernel (SWITCHYARD_PROFILE=1) at exit");
  const int status = sy::bench::parse_command_line(app, argc, argv);
  options->json_given = json->count() > 0;
  return status;
}

// Returns the subject to run at position i of round `round`. Odd rounds go
// in reverse order, so that no subject always runs first or last.
Subject& in_turn(std::vector<std::unique_ptr<Subject>>& subjects, size_t round, size_t i) {
  return *subjects[round % 2 == 0 ? i : subjects.size() - 1 - i];
}

// Runs the workload on every subject, interleaved. Returns false after a failure.
bool measure(const Options& options, std::vector<std::unique_ptr<Subject>>& subjects) {
  for (size_t round = 0; round < options.prompts.size(); ++round) {
    for (size_t i = 0; i < subjects.size(); ++i) {
      if (!sy::bench::time_prefill(in_turn(subjects, round, i), options.prompts[round])) {
        return false;
      }
    }
  }
  for (auto& subject : subjects) {
    if (!sy::bench::start_decode(*subject)) return false;
  }
  for (size_t step = 0; step < options.decode_tokens; ++step) {
    for (size_t i = 0; i < subjects.size(); ++i) {
      if (!sy::bench::time_decode_step(in_turn(subjects, step, i))) return false;
    }
  }
  return true;
}

// The figures of one subject as JSON, without the copy bandwidth; host memory
// only when it ran alone.
nlohmann::json result_json(const Subject& subject, const std::string& device, bool alone) {
  const sy_model_info& info = subject.info;
  const double decode_tps = subject.step_ms.size() / subject.decode_s;
  const double bytes_per_token = static_cast<double>(subject.decode_bytes) / subject.step_ms.size();
  // The median step is less sensitive than the mean to a step the OS delayed.
  std::vector<double> sorted_ms = subject.step_ms;
  std::sort(sorted_ms.begin(), sorted_ms.end());
  const size_t middle = sorted_ms.size() / 2;
  const double median_ms = sorted_ms.size() % 2 == 1
                               ? sorted_ms[middle]
                               : (sorted_ms[middle - 1] + sorted_ms[middle]) / 2;
  // The time to first token is that of the shortest prompt.
  const nlohmann::json* first = &subject.prefill[0];
  for (const auto& row : subject.prefill) {
    if (row["tokens"].get<uint32_t>() < (*first)["tokens"].get<uint32_t>()) first = &row;
  }
  const char* threads = std::getenv("LP_NUM_THREADS");
  nlohmann::json result = {
      {"bundle", subject.path},
      {"device", device},
      {"lp_num_threads", threads != nullptr ? threads : "unset"},
      {"bundle_bytes", subject.traffic.bundle_bytes},
      {"num_layers", info.num_layers},
      {"num_experts", info.num_experts},
      {"top_k", info.top_k},
      {"hidden_size", info.hidden_size},
      {"load_s", subject.load_s},
      {"time_to_first_token_s", (*first)["seconds"]},
      {"time_to_first_token_prompt", (*first)["tokens"]},
      {"prefill", subject.prefill},
      {"decode_tokens_per_s", decode_tps},
      {"decode_step_ms_median", median_ms},
      {"decode_step_ms", subject.step_ms},
      {"decode_weight_bytes_per_token", bytes_per_token},
      {"decode_weight_bytes_per_s", bytes_per_token * decode_tps},
      {"n_ctx", subject.n_ctx},
      {"kv_cache_bytes", subject.traffic.kv_bytes_per_position * subject.n_ctx},
  };
  if (alone) {
    result["rss_before_load_bytes"] = subject.rss_before_load;
    result["rss_after_load_bytes"] = subject.rss_after_load;
    result["peak_rss_bytes"] = sy::bench::peak_resident_bytes();
  }
  return result;
}

void print_result(const nlohmann::json& result) {
  const double mb = 1e6;
  std::printf("bundle              %s (%.1f MB)\n", result["bundle"].get<std::string>().c_str(),
              result["bundle_bytes"].get<double>() / mb);
  std::printf("device              %s, LP_NUM_THREADS=%s\n",
              result["device"].get<std::string>().c_str(),
              result["lp_num_threads"].get<std::string>().c_str());
  std::printf("load                %.3f s\n", result["load_s"].get<double>());
  std::printf("first token         %.3f s (%u-token prompt)\n",
              result["time_to_first_token_s"].get<double>(),
              result["time_to_first_token_prompt"].get<uint32_t>());
  for (const auto& row : result["prefill"]) {
    std::printf("prefill %5u       %.1f tokens/s\n", row["tokens"].get<uint32_t>(),
                row["tokens_per_s"].get<double>());
  }
  const double decode_tps = result["decode_tokens_per_s"].get<double>();
  std::printf("decode              %.2f tokens/s (%.2f ms/token, median step %.2f ms)\n",
              decode_tps, 1e3 / decode_tps, result["decode_step_ms_median"].get<double>());
  std::printf("weights per token   %.1f MB -> %.2f GB/s\n",
              result["decode_weight_bytes_per_token"].get<double>() / mb,
              result["decode_weight_bytes_per_s"].get<double>() / 1e9);
  const std::string copy_error = result["copy_error"].get<std::string>();
  if (copy_error.empty()) {
    std::printf("device copy         %.2f GB/s\n", result["copy_bytes_per_s"].get<double>() / 1e9);
  } else {
    std::printf("device copy         not measured: %s\n", copy_error.c_str());
  }
  if (result.contains("rss_after_load_bytes")) {
    std::printf("host memory         %.1f MB before load, %.1f MB after (bundle + KV cache %.1f MB), "
                "peak %.1f MB\n",
                result["rss_before_load_bytes"].get<double>() / mb,
                result["rss_after_load_bytes"].get<double>() / mb,
                (result["bundle_bytes"].get<double>() + result["kv_cache_bytes"].get<double>()) / mb,
                result["peak_rss_bytes"].get<double>() / mb);
  } else {
    std::printf("host memory         not measured with several bundles loaded\n");
  }
}

// Returns whether --json, when given, names a file that can be written, after
// printing why not. It runs before the minutes of measuring, not after.
bool json_path_usable(const Options& options) {
  const std::string& path = options.json_path;
  if (options.json_given && path.empty()) {
    std::fprintf(stderr, "switchyard-bench: --json needs a file path\n");
    return false;
  }
  if (path.empty()) return true;
  if (std::filesystem::is_directory(path)) {
    std::fprintf(stderr, "switchyard-bench: --json %s is a folder; pass a file path\n", path.c_str());
    return false;
  }
  const std::string probe = path + ".partial";
  if (!std::ofstream(probe)) {
    std::fprintf(stderr, "switchyard-bench: --json %s: cannot create %s: %s. Pass a path in a "
                 "writable folder\n", path.c_str(), probe.c_str(), std::strerror(errno));
    return false;
  }
  std::remove(probe.c_str());
  return true;
}

// Writes `json` to `path` through a rename, so a failed write leaves no partial file.
bool write_json(const std::string& path, const nlohmann::json& json) {
  const std::string partial = path + ".partial";
  std::ofstream out(partial);
  out << json.dump(2) << "\n";
  out.close();
  if (!out || std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    std::fprintf(stderr, "switchyard-bench: writing %s failed: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const int parse_status = parse_args(argc, argv, &options);
  if (parse_status >= 0) return parse_status;
  if (!json_path_usable(options)) return 2;
  if (options.profile) {
    // The Vulkan context reads the variable when it is created and logs its
    // totals at info level when it is destroyed.
    setenv("SWITCHYARD_PROFILE", "1", 1);
    sy_set_log_callback(nullptr, nullptr, SY_LOG_INFO);
  }

  sy::bench::Workload workload;
  workload.device = options.device;
  workload.longest_prompt = *std::max_element(options.prompts.begin(), options.prompts.end());
  workload.decode_steps = options.decode_tokens;
  std::vector<std::unique_ptr<Subject>> subjects;
  for (const std::string& path : options.bundles) {
    subjects.push_back(std::make_unique<Subject>());
    const int status = sy::bench::load_subject(path, workload, subjects.back().get());
    if (status != 0) return status;
  }
  if (!measure(options, subjects)) return 1;
  const std::string device = sy_model_device_name(subjects.front()->model);
  const bool alone = subjects.size() == 1;
  std::vector<nlohmann::json> results;
  for (const auto& subject : subjects) results.push_back(result_json(*subject, device, alone));
  // Frees the bundles' device memory before the copy measurement.
  subjects.clear();

  sy::bench::CopyBandwidth copy;
  if (device == "cpu") {
    copy.error = "the bundles ran on the CPU backend";
  } else {
    copy = sy::bench::measure_copy_bandwidth(
        device.rfind("llvmpipe", 0) == 0 ? "llvmpipe" : device, 256ull << 20, 5);
  }
  for (size_t i = 0; i < results.size(); ++i) {
    results[i]["copy_bytes_per_s"] = copy.bytes_per_s;
    results[i]["copy_error"] = copy.error;
    if (i > 0) std::printf("\n");
    print_result(results[i]);
  }
  if (options.json_path.empty()) return 0;
  return write_json(options.json_path, alone ? results.front() : nlohmann::json(results)) ? 0 : 1;
}
