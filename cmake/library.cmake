# cmake/library.cmake: runtime/ as the installable library libforkband, static and
# shared, with its headers under include/forkband/, a pkg-config file (forkband.pc) and
# a CMake package (find_package(forkband): forkband::forkband, forkband::forkband_static).
# Included from the top CMakeLists.txt after forkband_runtime; docs/library.md is the
# user's side, docs/decisions.md says why it is built this way.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# One set of position-independent objects for both libraries. They are compiled like
# forkband's own runtime (the warnings, the lock variant) but never with the sanitizers:
# an installed library must link into a plain program. forkband itself keeps linking
# forkband_runtime, so nothing changes for it.
add_library(forkband_lib_objects OBJECT ${forkband_runtime_sources})
set_target_properties(forkband_lib_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_compile_options(forkband_lib_objects PRIVATE
  "$<FILTER:$<TARGET_PROPERTY:forkband_options,INTERFACE_COMPILE_OPTIONS>,EXCLUDE,sanitize|omit-frame-pointer>")
target_compile_definitions(forkband_lib_objects PRIVATE
  $<TARGET_PROPERTY:forkband_options,INTERFACE_COMPILE_DEFINITIONS>)
target_include_directories(forkband_lib_objects PRIVATE ${PROJECT_SOURCE_DIR})

# The installed headers: runtime/'s public ones (fault.h is forkband's test machinery,
# not API). They include each other as "compat.h", so they work side by side in any
# folder. A copy in the build tree, laid out as installed, lets the tests build the
# example exactly as a user does (#include <forkband/pool.h>); configure_file() keeps
# the copies current.
set(fb_lib_headers compat.h barrier.h error.h pool.h schedule.h shared_mem.h spinlock.h
  spinlock_c11.h spinlock_x86_64.h)
set(fb_lib_include ${PROJECT_BINARY_DIR}/include)
foreach(h ${fb_lib_headers})
  configure_file(${PROJECT_SOURCE_DIR}/runtime/${h} ${fb_lib_include}/forkband/${h} COPYONLY)
endforeach()

# forkband_config.h records what forkband's own build passes as -D, so that a user's
# program gets the same lock variant as the library without knowing the flag:
# compat.h includes it when it lies beside it (only where installed).
get_target_property(fb_defs forkband_options INTERFACE_COMPILE_DEFINITIONS)
if("FB_LOCK_C11" IN_LIST fb_defs)
  set(FB_LOCK_C11 ON)
else()
  set(FB_LOCK_C11 OFF)
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/forkband_config.h.in
  ${fb_lib_include}/forkband/forkband_config.h @ONLY)

# SONAME: libforkband.so.0.1 while the version is 0.x (any minor release may change the
# ABI: struct fb_pass grows with the program), libforkband.so.N from 1.0 on.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(fb_soversion ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(fb_compat SameMinorVersion)
else()
  set(fb_soversion ${PROJECT_VERSION_MAJOR})
  set(fb_compat SameMajorVersion)
endif()

add_library(forkband_shared SHARED $<TARGET_OBJECTS:forkband_lib_objects>)
add_library(forkband_static STATIC $<TARGET_OBJECTS:forkband_lib_objects>)
set_target_properties(forkband_shared PROPERTIES OUTPUT_NAME forkband EXPORT_NAME forkband
  VERSION ${PROJECT_VERSION} SOVERSION ${fb_soversion})
set_target_properties(forkband_static PROPERTIES OUTPUT_NAME forkband
  EXPORT_NAME forkband_static)
# Only the API's names leave the shared library (fb_*, shared_*), and it must not lean
# on symbols its users happen to provide (-z defs).
set(fb_lib_map ${CMAKE_CURRENT_LIST_DIR}/libforkband.map)
target_link_options(forkband_shared PRIVATE -Wl,--version-script=${fb_lib_map} -Wl,-z,defs)
set_property(TARGET forkband_shared APPEND PROPERTY LINK_DEPENDS ${fb_lib_map})
foreach(t forkband_shared forkband_static)
  target_include_directories(${t} INTERFACE
    $<BUILD_INTERFACE:${fb_lib_include}> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # The headers use _Alignas and _Static_assert.
  target_compile_features(${t} INTERFACE c_std_11)
endforeach()
# The names a find_package(forkband) user links, also inside this project (tests/).
add_library(forkband::forkband ALIAS forkband_shared)
add_library(forkband::forkband_static ALIAS forkband_static)

install(TARGETS forkband_shared forkband_static EXPORT forkbandTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
list(TRANSFORM fb_lib_headers PREPEND ${fb_lib_include}/forkband/ OUTPUT_VARIABLE fb_lib_header_files)
install(FILES ${fb_lib_header_files} ${fb_lib_include}/forkband/forkband_config.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/forkband)

# The CMake package: relocatable, wherever the prefix is moved.
set(fb_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/forkband)
install(EXPORT forkbandTargets NAMESPACE forkband:: DESTINATION ${fb_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/forkbandConfig.cmake.in
  ${PROJECT_BINARY_DIR}/forkbandConfig.cmake INSTALL_DESTINATION ${fb_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/forkbandConfigVersion.cmake
  COMPATIBILITY ${fb_compat})
install(FILES ${PROJECT_BINARY_DIR}/forkbandConfig.cmake
  ${PROJECT_BINARY_DIR}/forkbandConfigVersion.cmake DESTINATION ${fb_cmake_dir})

# The pkg-config file names the prefix of the install itself, which `cmake --install
# --prefix DIR` may change after configuring: so it is written at install time.
install(CODE "set(fb_pc_in \"${CMAKE_CURRENT_LIST_DIR}/forkband.pc.in\")
set(fb_pc_out \"${PROJECT_BINARY_DIR}/forkband.pc\")
set(fb_libdir \"${CMAKE_INSTALL_LIBDIR}\")
set(fb_includedir \"${CMAKE_INSTALL_INCLUDEDIR}\")
set(PROJECT_VERSION \"${PROJECT_VERSION}\")
set(PROJECT_DESCRIPTION \"${PROJECT_DESCRIPTION}\")")
install(CODE [[
foreach(d libdir includedir)
  if(IS_ABSOLUTE "${fb_${d}}")
    set(pc_${d} "${fb_${d}}")
  else()
    set(pc_${d} "\${prefix}/${fb_${d}}")
  endif()
endforeach()
configure_file("${fb_pc_in}" "${fb_pc_out}" @ONLY)
]])
install(FILES ${PROJECT_BINARY_DIR}/forkband.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
