#include "main/app.h"

int main(int argc, char** argv) { return carnet::run_carnetd(argc, argv); }
