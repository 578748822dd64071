# host-api: the public ABI header, its pkg-config file, and the reference host.

acondir = $(includedir)/aconn
acon_HEADERS = host-api/aconn.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = host-api/aconn.pc

EXTRA_DIST += host-api/aconn.pc.in host-api/README.md
