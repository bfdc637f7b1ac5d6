// SGF reader: turns the game trees of an SGF collection (UTF-8 text, one or
// many games, KataGo .sgfs lines) into game records. Main line only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "game.h"

namespace golois {

struct SgfGame {
  GameRecord game;
  std::string skip_reason;  // "" when the game is usable, else a short category
  std::string detail;       // more about the reason (which move, what value)
};

std::vector<SgfGame> parse_sgf_collection(std::string_view text);

// Komi as written by some servers (KM[750] for 7.5, KM[375] for 3.75
// Chinese "zi" = 7.5 points) brought back to points.
float normalise_komi(float komi);

// RE[] to a result: "B+R", "W+3.5", "0"/"Draw"/"Jigo", Chinese 黑胜/白胜.
Result parse_result(std::string_view text);

// A move value written in a comment ("0.53 ..."): a number with a decimal
// point in [0, 1], or -1. Plain integers ("10") are byo-yomi counts in real
// files, not values.
float parse_comment_value(std::string_view comment);

}  // namespace golois
