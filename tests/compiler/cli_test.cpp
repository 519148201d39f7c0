// Runs the switchyard-compile executable as a user would and checks its exit
// status, stdout and stderr. Both streams are redirected to files, so stderr
// is not a terminal and the compiler prints plain progress lines.
#include <spawn.h>
#include <sys/wait.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "support/checkpoint_writer.h"
#include "support/temp_dir.h"
#include "switchyard/switchyard_generated.h"

extern char** environ;

namespace fb = ::switchyard::bundle;
namespace fs = std::filesystem;

namespace {

struct ProcessResult {
  int exit_code = -1;  // -1 when the process did not exit normally
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Runs SY_COMPILE_EXE with `args` and returns its exit status and output. The
// output goes through stdout.txt and stderr.txt in `temp`.
ProcessResult run_compiler(const sy::test::TempDir& temp, const std::vector<std::string>& args) {
  const fs::path out_path = temp / "stdout.txt";
  const fs::path err_path = temp / "stderr.txt";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);

  std::vector<std::string> argv_strings = {SY_COMPILE_EXE};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, SY_COMPILE_EXE, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE_MESSAGE(spawn_error == 0, "posix_spawn " SY_COMPILE_EXE " failed: ", std::strerror(spawn_error));

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    REQUIRE_MESSAGE(errno == EINTR, "waitpid failed: ", std::strerror(errno));
  }
  ProcessResult result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

// Writes the default tiny checkpoint to temp/ckpt and compiles it with the
// executable into temp/model.syb.
fs::path compile_tiny(const sy::test::TempDir& temp, const std::string& dtype) {
  sy::test::write_tiny_mixtral(temp / "ckpt", {});
  const fs::path bundle = temp / "model.syb";
  ProcessResult result = run_compiler(temp, {(temp / "ckpt").string(), "-o", bundle.string(), "--dtype", dtype});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  return bundle;
}

// The bundle's flatbuffer; `bytes` must outlive the returned pointer.
const fb::Model* parse_bundle(const std::string& bytes) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  flatbuffers::Verifier verifier(data, bytes.size());
  REQUIRE(fb::VerifyModelBuffer(verifier));
  return fb::GetModel(data);
}

// The tensor-table row that --inspect prints for `tensor`, ending in `status`.
std::string tensor_row(const fb::Tensor& tensor, const std::string& status) {
  std::vector<uint64_t> shape(tensor.shape()->begin(), tensor.shape()->end());
  return fmt::format("{:<36} {:<5} {:<20} {:>12} {:>12} {:016x} {}", tensor.name()->str(),
                     fb::EnumNameDType(tensor.dtype()), fmt::format("[{}]", fmt::join(shape, ", ")),
                     tensor.offset(), tensor.size(), tensor.xxh64(), status);
}

bool contains_line(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_SUITE("compiler") {

TEST_CASE("cli rejects bad dtype") {
  sy::test::TempDir temp;
  sy::test::write_tiny_mixtral(temp / "ckpt", {});
  ProcessResult result =
      run_compiler(temp, {(temp / "ckpt").string(), "-o", (temp / "m.syb").string(), "--dtype", "f8"});
  CHECK(result.exit_code == 2);
  CHECK(result.err ==
        "error: --dtype: f8 not in {f32,f16,q8_0,q4_0,q4_1} (run with --help for usage)\n");
  CHECK(result.out == "");
  CHECK_FALSE(fs::exists(temp / "m.syb"));
}

TEST_CASE("cli requires output") {
  sy::test::TempDir temp;
  sy::test::write_tiny_mixtral(temp / "ckpt", {});
  ProcessResult result = run_compiler(temp, {(temp / "ckpt").string()});
  CHECK(result.exit_code == 2);
  CHECK(result.err ==
        "error: a checkpoint folder and -o MODEL.syb are required (run with --help for usage)\n");
  CHECK(result.out == "");
}

TEST_CASE("cli rejects inspect with checkpoint") {
  sy::test::TempDir temp;
  const fs::path bundle = compile_tiny(temp, "f16");
  const std::string expected = "error: --inspect takes no checkpoint folder or -o\n";

  ProcessResult with_checkpoint = run_compiler(temp, {"--inspect", bundle.string(), (temp / "ckpt").string()});
  CHECK(with_checkpoint.exit_code == 2);
  CHECK(with_checkpoint.err == expected);
  CHECK(with_checkpoint.out == "");

  ProcessResult with_output = run_compiler(temp, {"--inspect", bundle.string(), "-o", (temp / "x.syb").string()});
  CHECK(with_output.exit_code == 2);
  CHECK(with_output.err == expected);
  CHECK(with_output.out == "");
}

TEST_CASE("cli compile prints progress") {
  sy::test::TempDir temp;
  sy::test::write_tiny_mixtral(temp / "ckpt", {});
  const fs::path bundle = temp / "model.syb";
  ProcessResult result =
      run_compiler(temp, {(temp / "ckpt").string(), "-o", bundle.string(), "--dtype", "f16"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "");

  const std::string bytes = read_file(bundle);
  const fb::Model* model = parse_bundle(bytes);
  const auto& tensors = *model->tensors();
  const std::vector<std::string> lines = split_lines(result.err);
  REQUIRE(lines.size() == tensors.size() + 1);

  // Without a terminal, one line per tensor in bundle order, then the summary.
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    CAPTURE(i);
    const fb::Tensor& tensor = *tensors.Get(i);
    CHECK(lines[i] == fmt::format("[{}/{}] {} ({:.1f} MiB)", i + 1, tensors.size(), tensor.name()->str(),
                                  static_cast<double>(tensor.size()) / (1 << 20)));
  }

  // 21 tensors: token_embd, output_norm, output and 9 per layer. Parameters:
  // embedding and output 2 * 320 * 32, output norm 32, and per layer the norms
  // 2 * 32, attention 2 * 32 * 32 + 2 * 16 * 32 (q and o are 32 x 32, k and v
  // 16 x 32), router 4 * 32 and experts 4 * 3 * 48 * 32 = 18432: 63904 in all.
  // Top-2 of 4 experts leaves half of each layer's expert weights unused.
  const std::string summary_prefix = fmt::format(
      "wrote {}: 21 tensors, 63.9 K parameters (45.5 K active per token), {:.1f} MiB, ", bundle.string(),
      static_cast<double>(fs::file_size(bundle)) / (1 << 20));
  const std::string& summary = lines.back();
  CHECK(summary.starts_with(summary_prefix));
  CHECK(std::regex_match(summary.substr(std::min(summary.size(), summary_prefix.size())),
                         std::regex(R"([0-9]+\.[0-9]{2} s)")));
}

TEST_CASE("cli inspect prints bundle") {
  sy::test::TempDir temp;
  const fs::path bundle = compile_tiny(temp, "f32");
  ProcessResult result = run_compiler(temp, {"--inspect", bundle.string()});
  CHECK(result.exit_code == 0);
  CHECK(result.err == "");

  const std::vector<std::string> lines = split_lines(result.out);
  const std::vector<std::string> expected_lines = {
      // header
      "format_version   1",
      "source_name      ckpt",
      // hyperparameters
      "architecture     mixtral",
      "layers           2",
      "hidden_size      32",
      "heads            4 (kv 2, head_dim 8)",
      "vocab_size       320",
      "max_context      256",
      "norm_eps         1e-05",
      "rope_theta       10000",
      "rope_scaling     none factor 1",
      "activation       silu",
      "tie_embeddings   false",
      // MoE structure
      "experts          4 (top_k 2, width 48)",
      "routing          softmax_then_topk",
      "renormalize_topk true",
      "routed_scaling   1",
      "shared_experts   0 (width 0, gate none)",
      "layer_ffn        moe moe",
      // tokenizer summary: 26 merges "▁" + letter, then 8 two-letter merges
      // that fill the vocabulary up to 320 tokens
      "tokenizer        sentencepiece_bpe (320 tokens, 34 merges, pre_tokenizer none)",
      "special ids      bos 1 eos 2 pad -1 unk 0",
      "flags            add_bos true add_eos false add_space_prefix true byte_fallback true",
      "stop_ids         [2]",
      // tensor table and checksum verification
      fmt::format("{:<36} {:<5} {:<20} {:>12} {:>12} {:<16}", "tensor", "dtype", "shape", "offset", "bytes",
                  "xxh64"),
      "all 21 checksums verified",
  };
  for (size_t i = 0; i < expected_lines.size(); ++i) {
    CAPTURE(i);
    CAPTURE(expected_lines[i]);
    CHECK(contains_line(lines, expected_lines[i]));
  }
  REQUIRE(lines.size() > 2);
  CHECK(lines[1].starts_with("generator        switchyard-compile "));
  CHECK(lines.back() == "all 21 checksums verified");

  const std::string bytes = read_file(bundle);
  const fb::Model* model = parse_bundle(bytes);
  for (uint32_t i = 0; i < model->tensors()->size(); ++i) {
    CAPTURE(i);
    const std::string row = tensor_row(*model->tensors()->Get(i), "ok");
    CAPTURE(row);
    CHECK(contains_line(lines, row));
  }
}

TEST_CASE("cli inspect finds corruption") {
  sy::test::TempDir temp;
  const fs::path bundle = compile_tiny(temp, "f16");
  std::string bytes = read_file(bundle);
  const fb::Model* model = parse_bundle(bytes);
  const fb::Tensor* corrupted = model->tensors()->LookupByKey("layers.1.attn_q");
  REQUIRE(corrupted != nullptr);
  const uint64_t position = corrupted->offset() + corrupted->size() / 2;

  // Flip one byte inside the tensor's data; the flatbuffer stays intact.
  {
    std::fstream file(bundle, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(static_cast<std::streamoff>(position));
    file.put(static_cast<char>(bytes[position] ^ 0x01));
    REQUIRE(file.good());
  }

  ProcessResult result = run_compiler(temp, {"--inspect", bundle.string()});
  CHECK(result.exit_code == 1);
  CHECK(result.err == fmt::format("error: {}: tensor 'layers.1.attn_q' failed the checksum check (1 of 21 "
                                  "tensors failed the bounds or checksum check)\n",
                                  bundle.string()));
  const std::vector<std::string> lines = split_lines(result.out);
  for (uint32_t i = 0; i < model->tensors()->size(); ++i) {
    CAPTURE(i);
    const fb::Tensor& tensor = *model->tensors()->Get(i);
    const std::string row = tensor_row(tensor, &tensor == corrupted ? "BAD CHECKSUM" : "ok");
    CAPTURE(row);
    CHECK(contains_line(lines, row));
  }
  CHECK_FALSE(contains_line(lines, "all 21 checksums verified"));
}

}  // TEST_SUITE
