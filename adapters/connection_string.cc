#include "adapters/connection_string.h"

#include <libpq-fe.h>

namespace lockstep {
namespace {

// A value of a key=value connection string: quoted, with ' and \ escaped.
std::string KeyValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LibpqEnvironment(const std::string& url) {
  std::vector<std::pair<std::string, std::string>> out;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (error) PQfreemem(error);
  if (!options) return out;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (o->val && o->envvar && *o->val) out.emplace_back(o->envvar, o->val);
  }
  PQconninfoFree(options);
  return out;
}

std::string ConnectionStringProblem(const std::string& url, std::vector<std::string>* secrets) {
  if (url.find_first_not_of(" \t\r\n") == std::string::npos) {
    return "the connection URL is empty (libpq would quietly connect to its defaults); write "
           "postgresql://user:password@host:port/dbname";
  }
  size_t scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = url.substr(0, scheme_end);
    bool plain = !scheme.empty() && scheme.size() < 20 &&
                 scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyz+.-") == std::string::npos;
    if (scheme != "postgresql" && scheme != "postgres") {
      return (plain ? "'" + scheme + "://' is not a PostgreSQL URL" : "not a PostgreSQL URL") +
             std::string("; write postgresql://user:password@host:port/dbname");
    }
  }
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (error) PQfreemem(error);  // it quotes the offending text: never shown
  if (!options) {
    return "libpq cannot parse the connection URL (not shown: it may hold a password); "
           "percent-encode special characters in the user name and password ('%' as %25, "
           "'#' as %23, '@' as %40, '/' as %2F, '?' as %3F, ':' as %3A), or use key=value form";
  }
  if (secrets) {
    secrets->clear();
    for (PQconninfoOption* o = options; o->keyword; ++o) {
      if (o->val && std::string(o->keyword) == "password") secrets->push_back(o->val);
    }
    // The password as written, percent-encoded, between "user:" and "@".
    if (scheme_end != std::string::npos) {
      size_t start = scheme_end + 3;
      size_t at = url.rfind('@', url.find_first_of("/?", start));
      size_t colon = url.find(':', start);
      if (at != std::string::npos && colon != std::string::npos && colon < at) {
        secrets->push_back(url.substr(colon + 1, at - colon - 1));
      }
    }
  }
  PQconninfoFree(options);
  return "";
}

std::string WithSetting(const std::string& url, const std::string& keyword,
                        const std::string& value) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (error) PQfreemem(error);
  std::string out = keyword + "=" + KeyValue(value);
  for (PQconninfoOption* o = options; o && o->keyword; ++o) {
    if (o->val && *o->val && o->keyword != keyword) {
      out += std::string(" ") + o->keyword + "=" + KeyValue(o->val);
    }
  }
  if (options) PQconninfoFree(options);
  return out;
}

std::string WithDatabaseName(const std::string& url, const std::string& dbname) {
  return WithSetting(url, "dbname", dbname);
}

std::string Scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 3) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

}  // namespace lockstep
