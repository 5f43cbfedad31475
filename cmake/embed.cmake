# embed.cmake: turns the file IN into a C header OUT defining
# `static const char fb_default_config[]` with its bytes. Run with cmake -P.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n\t" bytes "${bytes}")
file(WRITE "${OUT}.tmp" "/* generated from configs/mandelbrot.json by cmake/embed.cmake */\n"
  "static const char fb_default_config[] = {\n\t${bytes}0x00\n};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
