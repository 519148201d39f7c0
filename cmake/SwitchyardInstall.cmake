# Install rules for libswitchyard: the shared and static libraries, the public
# headers, a CMake package (find_package(switchyard CONFIG)) and switchyard.pc
# for pkg-config. Included from runtime/CMakeLists.txt after the targets exist.
include(CMakePackageConfigHelpers)

set(SWITCHYARD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/switchyard)

install(TARGETS switchyard switchyard_static
  EXPORT switchyardTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES
  ${PROJECT_SOURCE_DIR}/runtime/include/switchyard/switchyard.h
  ${PROJECT_SOURCE_DIR}/runtime/include/switchyard/switchyard.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/switchyard)

install(EXPORT switchyardTargets
  NAMESPACE switchyard::
  DESTINATION ${SWITCHYARD_CMAKE_DIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/switchyardConfig.cmake.in
  ${PROJECT_BINARY_DIR}/switchyardConfig.cmake
  INSTALL_DESTINATION ${SWITCHYARD_CMAKE_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/switchyardConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/switchyardConfig.cmake
  ${PROJECT_BINARY_DIR}/switchyardConfigVersion.cmake
  DESTINATION ${SWITCHYARD_CMAKE_DIR})

# switchyard.pc finds the prefix from its own location (${pcfiledir}), so it
# stays right under `cmake --install --prefix DIR` and after the installed
# tree is moved, as long as the install dirs are relative.
file(RELATIVE_PATH SWITCHYARD_PC_PREFIX_FROM_PCFILEDIR
     /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(SWITCHYARD_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(SWITCHYARD_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/switchyard.pc.in
               ${PROJECT_BINARY_DIR}/switchyard.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/switchyard.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
