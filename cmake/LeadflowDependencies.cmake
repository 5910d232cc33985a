# Third-party dependencies, all from Debian packages (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)

# gRPC and librdkafka: Debian's CMake configs for these drag in targets that are not all packaged,
# so pkg-config is the reliable way in.
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka++ rdkafka)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(JWT REQUIRED IMPORTED_TARGET libjwt)
# Lead normalisation: ICU (country names), libidn2 (IDN domains), libpsl (registrable domains),
# libphonenumber (E.164).
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc icu-i18n)
pkg_check_modules(IDN2 REQUIRED IMPORTED_TARGET libidn2)
pkg_check_modules(PSL REQUIRED IMPORTED_TARGET libpsl)
find_library(PHONENUMBER_LIB phonenumber REQUIRED)
find_path(PHONENUMBER_INCLUDE phonenumbers/phonenumberutil.h REQUIRED)
add_library(leadflow_phonenumber INTERFACE)
target_link_libraries(leadflow_phonenumber INTERFACE ${PHONENUMBER_LIB} protobuf::libprotobuf)
target_include_directories(leadflow_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE})

find_library(GRPCPP_REFLECTION_LIB grpc++_reflection REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

add_library(leadflow_grpc INTERFACE)
target_link_libraries(leadflow_grpc INTERFACE PkgConfig::GRPCPP protobuf::libprotobuf)
add_library(leadflow_grpc_reflection INTERFACE)
# --no-as-needed: the reflection plugin registers itself from a static initialiser.
target_link_libraries(leadflow_grpc_reflection INTERFACE
  -Wl,--no-as-needed ${GRPCPP_REFLECTION_LIB} -Wl,--as-needed leadflow_grpc)
