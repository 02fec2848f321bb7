# `cmake --install` and `cpack` (docs/install.md).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS claimmap RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# `claimmap serve` as a service (docs/server.md "Production checklist"): the
# unit, and the operator's guide it points to.
install(FILES server/systemd/claimmap.service DESTINATION lib/systemd/system)
install(FILES docs/server.md docs/spec.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(TARGETS claimmap_engine EXPORT ClaimMapTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/claimmap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ClaimMapTargets NAMESPACE ClaimMap:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ClaimMap)
configure_package_config_file(cmake/ClaimMapConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ClaimMap)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ClaimMap)

# The Debian package: claimmap_<version>_amd64.deb. Its runtime dependencies
# (libsimdjson14, libtbb12, libxxhash0, libstdc++6, libc6) are read off the
# binary by dpkg-shlibdeps; building against the library also needs the
# headers of the same dependencies, which the package recommends.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME claimmap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ClaimMap engineers <claimmap@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Login-time claim mapping engine: IdP claims to groups and app roles")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libsimdjson-dev, libtbb-dev, libboost-dev, libxxhash-dev, libssl-dev, libre2-dev, pkg-config")
set(CPACK_STRIP_FILES OFF)
# The service's system user is made by postinst (with adduser); the unit is
# installed, not enabled: it needs a config and a tokens file first.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${CMAKE_SOURCE_DIR}/server/systemd/postinst;${CMAKE_SOURCE_DIR}/server/systemd/prerm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
