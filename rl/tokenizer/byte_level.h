// The GPT-2 byte-level alphabet used by byte-level BPE tokenizers: every byte 0..255 has a
// printable Unicode stand-in (33..126, 161..172, 174..255 map to themselves; the other 68
// bytes map to U+0100, U+0101, … in byte order), so any byte string — valid UTF-8 or not —
// is a string of vocabulary symbols. Also small UTF-8 helpers. Pure, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace rl::tokenizer {

// Code point standing in for byte b.
uint32_t ByteToCodepoint(uint8_t b);
// Inverse; -1 when cp stands for no byte.
int CodepointToByte(uint32_t cp);

// UTF-8 encoding of a code point.
void AppendUtf8(uint32_t cp, std::string* out);
// The byte-level string of raw bytes (each byte → its stand-in, UTF-8 encoded).
std::string BytesToSymbols(std::string_view bytes);

// Length of the valid UTF-8 sequence starting at s[i] (1..4), or 0 when the bytes there are
// not valid UTF-8 (overlong forms, surrogates and > U+10FFFF are invalid).
size_t ValidUtf8Length(std::string_view s, size_t i);
// Decodes one valid UTF-8 sequence of length len at s[i].
uint32_t DecodeUtf8(std::string_view s, size_t i, size_t len);
// s with every byte that does not start a valid UTF-8 sequence replaced by U+FFFD (decoded
// model output may end inside a multi-byte character or hold stray bytes).
std::string SanitizeUtf8(std::string_view s);

}  // namespace rl::tokenizer
