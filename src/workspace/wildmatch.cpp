// git's wildmatch (WM_PATHNAME) compiled to a token list and run as an NFA,
// so a hostile pattern costs O(pattern x text), never exponential time.
#include <cstring>

#include "bbox/workspace/exclude.h"

namespace bbox::workspace {
namespace {

using Token = Glob::Token;

bool in_class(std::string_view name, unsigned char c) {
  auto lower = c >= 'a' && c <= 'z';
  auto upper = c >= 'A' && c <= 'Z';
  auto digit = c >= '0' && c <= '9';
  auto print = c >= 0x20 && c < 0x7F;
  if (name == "alnum") return lower || upper || digit;
  if (name == "alpha") return lower || upper;
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return c < 0x20 || c == 0x7F;
  if (name == "digit") return digit;
  if (name == "graph") return print && c != ' ';
  if (name == "lower") return lower;
  if (name == "print") return print;
  if (name == "punct") return print && c != ' ' && !lower && !upper && !digit;
  if (name == "space") return c == ' ' || (c >= '\t' && c <= '\r');
  if (name == "upper") return upper;
  if (name == "xdigit") return digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  return false;
}

bool known_class(std::string_view name) {
  static const char* kNames[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                 "lower", "print", "punct", "space", "upper", "xdigit"};
  for (const char* n : kNames) {
    if (name == n) return true;
  }
  return false;
}

// Parses the bracket expression starting at p[i] == '[' the way git's
// dowild() does. Returns the index just past the closing ']', or npos when
// the expression is malformed (git then matches nothing at all).
size_t parse_class(std::string_view p, size_t i, Token& out) {
  auto at = [&p](size_t k) -> unsigned char { return k < p.size() ? p[k] : 0; };
  size_t j = i + 1;
  bool negated = at(j) == '!' || at(j) == '^';
  if (negated) ++j;
  std::bitset<256> set;
  int prev = 0;
  unsigned char pc = at(j);
  do {
    if (pc == 0) return std::string_view::npos;
    if (pc == '\\') {
      pc = at(++j);
      if (pc == 0) return std::string_view::npos;
      set.set(pc);
    } else if (pc == '-' && prev != 0 && at(j + 1) != 0 && at(j + 1) != ']') {
      pc = at(++j);
      if (pc == '\\') {
        pc = at(++j);
        if (pc == 0) return std::string_view::npos;
      }
      for (int c = prev; c <= pc; ++c) set.set(c);
      pc = 0;
    } else if (pc == '[' && at(j + 1) == ':') {
      size_t s = j + 2, k = s;
      while (at(k) != 0 && at(k) != ']') ++k;
      if (at(k) == 0) return std::string_view::npos;
      if (k < s + 1 || p[k - 1] != ':') {
        j = s - 2;  // not a [:name:]: '[' is an ordinary member
        pc = '[';
        set.set('[');
      } else {
        std::string_view name = p.substr(s, k - 1 - s);
        if (!known_class(name)) return std::string_view::npos;
        for (int c = 1; c < 256; ++c) {
          if (in_class(name, static_cast<unsigned char>(c))) set.set(c);
        }
        j = k;
        pc = 0;
      }
    } else {
      set.set(pc);
    }
    prev = pc;
    pc = at(++j);
  } while (pc != ']');
  if (negated) set.flip();
  set.reset('/');  // WM_PATHNAME: a class never matches a slash
  set.reset(0);
  out.kind = Token::kClass;
  out.set = set;
  return j + 1;
}

// Handles a run of '*' starting at p[i]; returns the index past what it used.
size_t compile_stars(std::string_view p, size_t i, std::vector<Token>& tokens) {
  size_t start = i;
  while (i < p.size() && p[i] == '*') ++i;
  bool double_star = i - start >= 2;
  bool after_slash = start == 0 || p[start - 1] == '/';
  bool before_slash =
      i == p.size() || p[i] == '/' || (p[i] == '\\' && i + 1 < p.size() && p[i + 1] == '/');
  if (!double_star || !after_slash || !before_slash) {
    tokens.push_back(Token{Token::kStar});
    return i;
  }
  if (i < p.size() && p[i] == '/') {
    // "**/" may also match no directory at all, but only before it has
    // consumed anything: a split state entered once leads either into the
    // repeating "**" or straight past the '/'.
    size_t split = tokens.size();
    tokens.push_back(Token{Token::kSplit});
    tokens.push_back(Token{Token::kStarStar});
    tokens.push_back(Token{Token::kLiteral, '/'});
    tokens[split].skip_to = static_cast<int>(tokens.size());
    return i + 1;
  }
  tokens.push_back(Token{Token::kStarStar});
  return i;
}

bool token_accepts(const Token& t, unsigned char c) {
  switch (t.kind) {
    case Token::kLiteral:
      return t.literal == c;
    case Token::kAnyChar:
      return c != '/';
    case Token::kClass:
      return t.set.test(c);
    default:
      return false;
  }
}

// Adds every state reachable without reading a character. Epsilon edges only
// go forward, so one ascending pass is enough.
void close_over(const std::vector<Token>& tokens, std::vector<char>& states) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!states[i]) continue;
    const Token& t = tokens[i];
    if (t.kind == Token::kStar || t.kind == Token::kStarStar || t.kind == Token::kSplit) {
      states[i + 1] = 1;
    }
    if (t.skip_to >= 0) states[t.skip_to] = 1;
  }
}

}  // namespace

Glob::Glob(std::string_view p) {
  size_t i = 0;
  while (i < p.size()) {
    unsigned char c = p[i];
    if (c == '*') {
      i = compile_stars(p, i, tokens_);
    } else if (c == '?') {
      tokens_.push_back(Token{Token::kAnyChar});
      ++i;
    } else if (c == '[') {
      Token t{Token::kClass};
      size_t next = parse_class(p, i, t);
      if (next == std::string_view::npos) {
        tokens_.assign(1, Token{Token::kNever});
        return;
      }
      tokens_.push_back(t);
      i = next;
    } else if (c == '\\') {
      // A trailing backslash escapes nothing: git never matches such a pattern.
      if (i + 1 >= p.size()) {
        tokens_.assign(1, Token{Token::kNever});
        return;
      }
      tokens_.push_back(Token{Token::kLiteral, static_cast<unsigned char>(p[i + 1])});
      i += 2;
    } else {
      tokens_.push_back(Token{Token::kLiteral, c});
      ++i;
    }
  }
}

bool Glob::matches(std::string_view text) const {
  if (!tokens_.empty() && tokens_[0].kind == Token::kNever) return false;
  size_t n = tokens_.size();
  std::vector<char> cur(n + 1, 0), next(n + 1, 0);
  cur[0] = 1;
  close_over(tokens_, cur);
  for (unsigned char c : text) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      if (!cur[i]) continue;
      const Token& t = tokens_[i];
      if (t.kind == Token::kStarStar || (t.kind == Token::kStar && c != '/')) {
        next[i] = 1;
        any = true;
      } else if (token_accepts(t, c)) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close_over(tokens_, next);
    cur.swap(next);
  }
  return cur[n] != 0;
}

}  // namespace bbox::workspace
