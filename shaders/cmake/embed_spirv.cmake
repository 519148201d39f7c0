# Writes the SPIR-V file SPV as a C++ source OUT that defines
# kSpirv_NAME (uint32_t words, little-endian as stored) and kSpirvWords_NAME.
file(READ ${SPV} bytes HEX)
string(LENGTH "${bytes}" hex_length)
math(EXPR remainder "${hex_length} % 8")
if(hex_length EQUAL 0 OR NOT remainder EQUAL 0)
  message(FATAL_ERROR "${SPV} is not a whole number of 32-bit words (${hex_length} hex digits)")
endif()
math(EXPR word_count "${hex_length} / 8")
string(REGEX REPLACE "([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])"
       "0x\\4\\3\\2\\1u," words "${bytes}")
string(REGEX REPLACE "((0x[0-9a-f]+u,){8})" "\\1\n  " words "${words}")
file(WRITE ${OUT}
"// Generated from ${NAME}.spv by shaders/cmake/embed_spirv.cmake. Do not edit.
#include <cstddef>
#include <cstdint>

namespace sy::shaders {
extern const uint32_t kSpirv_${NAME}[] = {
  ${words}
};
extern const size_t kSpirvWords_${NAME} = ${word_count};
}  // namespace sy::shaders
")
