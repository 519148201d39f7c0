#include "tokenizer_import.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "error.h"
#include "json_file.h"

namespace sy::compiler {

namespace {

using nlohmann::json;

bool has_type(const json& node, std::string_view type) {
  if (!node.is_object()) return false;
  if (node.value("type", std::string()) == type) return true;
  for (const char* list : {"normalizers", "pretokenizers", "decoders"}) {
    if (node.contains(list) && node[list].is_array()) {
      for (const auto& child : node[list]) {
        if (has_type(child, type)) return true;
      }
    }
  }
  return false;
}

// True when a Prepend("▁") normalizer or a Metaspace pre-tokenizer adds the
// space prefix, as Llama-style tokenizers do.
bool find_space_prefix(const json& tokenizer) {
  if (has_type(tokenizer.value("normalizer", json()), "Prepend")) return true;
  const json pre = tokenizer.value("pre_tokenizer", json());
  if (has_type(pre, "Metaspace")) {
    std::string scheme = pre.value("prepend_scheme", std::string());
    if (!scheme.empty()) return scheme != "never";
    return pre.value("add_prefix_space", true);
  }
  return false;
}

std::optional<std::string> token_text(const json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const json& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  return std::nullopt;
}

void read_tokens(const json& tokenizer, const std::string& file, const ModelSpec& spec,
                 TokenizerSpec& out, std::vector<std::string>& warnings) {
  const json& model = tokenizer["model"];
  std::map<int, std::string> by_id;
  std::map<int, bool> special;
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    throw CompileError(fmt::format("{}: model.vocab must be an object of token -> id", file));
  }
  for (const auto& [text, id] : model["vocab"].items()) {
    // Ids up to INT32_MAX - 1 keep the id count below INT32_MAX.
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= INT32_MAX) {
      throw CompileError(fmt::format("{}: token '{}' has invalid id {}", file, text, id.dump()));
    }
    by_id[id.get<int>()] = text;
  }
  for (const auto& added : tokenizer.value("added_tokens", json::array())) {
    int id = added.value("id", -1);
    if (id < 0 || !added.contains("content")) {
      throw CompileError(fmt::format("{}: added_tokens entry {} needs an id and content", file, added.dump()));
    }
    by_id[id] = added["content"].get<std::string>();
    special[id] = added.value("special", false);
  }
  const int count = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  if (static_cast<uint32_t>(count) > spec.vocab_size) {
    throw CompileError(fmt::format("{}: token id {} is outside vocab_size {} from config.json", file,
                                   count - 1, spec.vocab_size));
  }
  if (static_cast<uint32_t>(count) < spec.vocab_size) {
    warnings.push_back(fmt::format("{}: {} tokens for vocab_size {}; ids {}..{} become unused "
                                   "control tokens", file, count, spec.vocab_size, count,
                                   spec.vocab_size - 1));
  }
  out.tokens.assign(spec.vocab_size, std::string());
  out.token_types.assign(spec.vocab_size, fb::TokenType::control);
  for (uint32_t id = 0; id < spec.vocab_size; ++id) {
    auto it = by_id.find(static_cast<int>(id));
    if (it == by_id.end()) {
      out.tokens[id] = fmt::format("<unused{}>", id);
      continue;
    }
    const std::string& text = it->second;
    out.tokens[id] = text;
    bool is_byte = text.size() == 6 && text.starts_with("<0x") && text.back() == '>' &&
                   std::isxdigit(static_cast<unsigned char>(text[3])) &&
                   std::isxdigit(static_cast<unsigned char>(text[4]));
    if (special.contains(static_cast<int>(id))) {
      out.token_types[id] = special[static_cast<int>(id)] ? fb::TokenType::control
                                                           : fb::TokenType::user_defined;
    } else if (out.byte_fallback && is_byte) {
      out.token_types[id] = fb::TokenType::byte;
    } else {
      out.token_types[id] = fb::TokenType::normal;
    }
  }
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    auto unk = model["unk_token"].get<std::string>();
    for (const auto& [id, text] : by_id) {
      if (text == unk) {
        out.unk_id = id;
        out.token_types[id] = fb::TokenType::unknown;
      }
    }
  }
}

void read_merges(const json& model, const std::string& file, TokenizerSpec& out) {
  for (const auto& merge : model.value("merges", json::array())) {
    if (merge.is_string()) {
      out.merges.push_back(merge.get<std::string>());
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      out.merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    } else {
      throw CompileError(fmt::format("{}: merge {} is neither \"a b\" nor [\"a\", \"b\"]", file,
                                     merge.dump()));
    }
  }
}

int lookup_id(const TokenizerSpec& out, const std::string& text) {
  auto it = std::find(out.tokens.begin(), out.tokens.end(), text);
  return it == out.tokens.end() ? -1 : static_cast<int>(it - out.tokens.begin());
}

// Special ids: tokenizer_config.json token strings first, then
// generation_config.json ids, then config.json ids.
void read_special_ids(const TokenizerFiles& files, const std::filesystem::path& dir,
                      const ModelSpec& spec, TokenizerSpec& out) {
  json tokenizer_config = json::object();
  json generation_config = json::object();
  if (files.tokenizer_config_json) {
    tokenizer_config =
        parse_json_text(*files.tokenizer_config_json, (dir / "tokenizer_config.json").string());
  }
  if (files.generation_config_json) {
    generation_config =
        parse_json_text(*files.generation_config_json, (dir / "generation_config.json").string());
  }

  auto from_config = [&](const char* text_key, const char* id_key, std::optional<int> fallback) {
    if (auto text = token_text(tokenizer_config, text_key)) {
      int id = lookup_id(out, *text);
      if (id >= 0) return id;
    }
    if (generation_config.contains(id_key)) {
      const json& value = generation_config[id_key];
      if (value.is_number_integer()) return value.get<int>();
      if (value.is_array() && !value.empty() && value[0].is_number_integer()) return value[0].get<int>();
    }
    return fallback.value_or(-1);
  };
  out.bos_id = from_config("bos_token", "bos_token_id", spec.bos_id);
  std::optional<int> config_eos;
  if (!spec.eos_ids.empty()) config_eos = spec.eos_ids.front();
  out.eos_id = from_config("eos_token", "eos_token_id", config_eos);
  out.pad_id = from_config("pad_token", "pad_token_id", spec.pad_id);
  if (auto unk = token_text(tokenizer_config, "unk_token")) {
    if (int id = lookup_id(out, *unk); id >= 0) out.unk_id = id;
  }

  out.add_bos = tokenizer_config.value("add_bos_token", out.model == fb::TokenizerModel::sentencepiece_bpe);
  out.add_eos = tokenizer_config.value("add_eos_token", false);
  if (tokenizer_config.contains("chat_template") && tokenizer_config["chat_template"].is_string()) {
    out.chat_template = tokenizer_config["chat_template"].get<std::string>();
  }

  auto add_stop = [&](int id) {
    if (id >= 0 && std::find(out.stop_ids.begin(), out.stop_ids.end(), id) == out.stop_ids.end()) {
      out.stop_ids.push_back(id);
    }
  };
  add_stop(out.eos_id);
  if (generation_config.contains("eos_token_id")) {
    const json& value = generation_config["eos_token_id"];
    if (value.is_number_integer()) add_stop(value.get<int>());
    if (value.is_array()) {
      for (const auto& id : value) {
        if (id.is_number_integer()) add_stop(id.get<int>());
      }
    }
  }
  for (int id : spec.eos_ids) add_stop(id);
}

}  // namespace

namespace {

TokenizerSpec import_tokenizer_json(const TokenizerFiles& files, const std::filesystem::path& dir,
                                    const ModelSpec& spec, std::vector<std::string>& warnings) {
  const std::string file = (dir / "tokenizer.json").string();
  json tokenizer = parse_json_text(files.tokenizer_json, file);
  if (!tokenizer.is_object() || !tokenizer.contains("model") || !tokenizer["model"].is_object()) {
    throw CompileError(fmt::format("{}: expected an object with a \"model\" object", file));
  }
  const json& model = tokenizer["model"];
  std::string type = model.value("type", std::string("BPE"));
  if (type != "BPE") {
    throw CompileError(fmt::format("{}: model.type is \"{}\"; only \"BPE\" is supported", file, type));
  }

  TokenizerSpec out;
  const json pre = tokenizer.value("pre_tokenizer", json());
  if (has_type(pre, "ByteLevel") || has_type(tokenizer.value("decoder", json()), "ByteLevel")) {
    out.model = fb::TokenizerModel::byte_level_bpe;
    out.pre_tokenizer = fb::PreTokenizer::gpt2;
  } else {
    out.model = fb::TokenizerModel::sentencepiece_bpe;
    out.pre_tokenizer = fb::PreTokenizer::none;
    out.add_space_prefix = find_space_prefix(tokenizer);
  }
  out.byte_fallback = model.value("byte_fallback", false);

  read_tokens(tokenizer, file, spec, out, warnings);
  read_merges(model, file, out);
  read_special_ids(files, dir, spec, out);
  for (int id : {out.bos_id, out.eos_id, out.pad_id, out.unk_id}) {
    if (id >= static_cast<int>(spec.vocab_size)) {
      throw CompileError(fmt::format("{}: special token id {} is outside vocab_size {}", file, id,
                                     spec.vocab_size));
    }
  }
  return out;
}

}  // namespace

TokenizerSpec import_tokenizer(const std::filesystem::path& dir, const ModelSpec& spec,
                               std::vector<std::string>& warnings) {
  TokenizerFiles files;
  files.tokenizer_json = read_text_file(dir / "tokenizer.json");
  std::error_code ec;
  if (std::filesystem::exists(dir / "tokenizer_config.json", ec)) {
    files.tokenizer_config_json = read_text_file(dir / "tokenizer_config.json");
  }
  if (std::filesystem::exists(dir / "generation_config.json", ec)) {
    files.generation_config_json = read_text_file(dir / "generation_config.json");
  }
  return import_tokenizer_text(files, dir, spec, warnings);
}

TokenizerSpec import_tokenizer_text(const TokenizerFiles& files, const std::filesystem::path& dir,
                                    const ModelSpec& spec, std::vector<std::string>& warnings) {
  try {
    return import_tokenizer_json(files, dir, spec, warnings);
  } catch (const nlohmann::json::exception& e) {
    // A key that the readers above take without checking its type, e.g. a
    // number where a string belongs.
    throw CompileError(fmt::format(
        "{}: a value in tokenizer.json, tokenizer_config.json or generation_config.json has the "
        "wrong JSON type: {}",
        dir.string(), e.what()));
  }
}

}  // namespace sy::compiler
