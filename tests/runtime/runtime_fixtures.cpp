#include "runtime/runtime_fixtures.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "compile.h"

namespace sy::test {

std::filesystem::path compile_tiny(const std::filesystem::path& dir, const std::string& name,
                                   const TinyMixtral& spec, TensorMap* weights) {
  TensorMap written = write_tiny_mixtral(dir / name, spec);
  if (weights != nullptr) *weights = written;
  sy::compiler::CompileOptions options;
  options.checkpoint_dir = dir / name;
  options.output = dir / (name + ".syb");
  options.weight_dtype = ::switchyard::bundle::DType::f32;
  options.warn = [](const std::string&) {};
  sy::compiler::compile_checkpoint(options);
  return options.output;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string open_error(const std::filesystem::path& path, bool verify_checksums) {
  std::unique_ptr<Bundle> bundle;
  BundleOptions options;
  options.verify_checksums = verify_checksums;
  Status status = Bundle::open(path.string(), options, &bundle);
  return status.message();
}

CpuModel load_cpu_model(const std::filesystem::path& path, uint32_t n_ctx) {
  CpuModel model;
  Status status = Bundle::open(path.string(), BundleOptions{}, &model.bundle);
  REQUIRE_MESSAGE(status.ok(), status.message());
  status = create_cpu_backend(*model.bundle, &model.backend);
  REQUIRE_MESSAGE(status.ok(), status.message());
  uint32_t size = n_ctx == 0 ? model.bundle->config().max_context : n_ctx;
  status = model.backend->create_context(size, &model.context);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return model;
}

std::filesystem::path shipped_bundle(const std::string& name) {
  std::filesystem::path path = std::filesystem::path(SY_MODELS_DIR) / (name + ".syb");
  REQUIRE_MESSAGE(std::filesystem::exists(path),
                  "shipped bundle " << path.string() << " is missing; build the "
                  "switchyard_shipped_models target (it needs examples/models/" << name
                  << "/config.json and its weights)");
  return path;
}

}  // namespace sy::test
