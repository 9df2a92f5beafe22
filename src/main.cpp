#include <iostream>

#include "planfix_flow/app/cli.h"

int main(int argc, char** argv) {
  try {
    return planfix_flow::app::RunCli(argc, argv, std::cout, std::cerr);
  } catch (const std::exception& error) {
    std::cerr << "planfix-flow: fatal: " << error.what() << "\n";
    return planfix_flow::app::kExitFailure;
  }
}
