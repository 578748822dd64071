# include: the public ABI header, installed as <aconn/aconn.h>, and its
# pkg-config file (`pkg-config --cflags aconn`).
acondir = $(includedir)/aconn
acon_HEADERS = include/aconn/aconn.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = include/aconn.pc

EXTRA_DIST += include/aconn.pc.in
