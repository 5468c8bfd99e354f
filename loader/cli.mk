# The command layer (loader/cli.c, loader/vjson.c): JSON through jansson,
# man pages and bash completion generated from the option tables.
LDLIBS += -ljansson
