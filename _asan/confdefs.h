/* confdefs.h */
#define PACKAGE_NAME "tiktok-audience-connector"
#define PACKAGE_TARNAME "tiktok-audience-connector"
#define PACKAGE_VERSION "0.1.0"
#define PACKAGE_STRING "tiktok-audience-connector 0.1.0"
#define PACKAGE_BUGREPORT ""
#define PACKAGE_URL ""
#define PACKAGE "tiktok-audience-connector"
#define VERSION "0.1.0"
