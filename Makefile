# A thin front over CMake presets, for those who type `make`. The build lives in build/.
.PHONY: all test asan bench install clean
all:
	cmake --preset release >/dev/null && cmake --build --preset release -j
test:
	scripts/test
asan:
	cmake --preset asan >/dev/null && cmake --build --preset asan -j && ctest --preset asan -j
bench:
	cmake --preset bench >/dev/null && cmake --build --preset bench -j
install: all
	cmake --install build/release
clean:
	rm -rf build
