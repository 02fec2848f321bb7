# `cmake --install` and `cpack` (docs/install.md). Two components, two
# Debian packages, as Debian splits a library's users from its builders:
#   runtime → claimmap: the command (stripped by cpack), the systemd unit
#             and the audit log's logrotate snippet, the operator's docs;
#   dev     → libclaimmap-dev: headers, the static library, the CMake package
#             and claimmap.pc, depending on the -dev packages the library
#             needs to link.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS claimmap RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
# `claimmap serve` as a service (docs/server.md "Production checklist"): the
# unit, and the operator's guide it points to.
install(FILES server/systemd/claimmap.service DESTINATION lib/systemd/system COMPONENT runtime)
# Its audit log's rotation (server/systemd/claimmap.logrotate). logrotate
# reads /etc/logrotate.d only, so a /usr prefix (the package's) installs it
# there, as GNUInstallDirs places /usr's SYSCONFDIR; any other prefix (a test's,
# /usr/local) gets PREFIX/etc/logrotate.d. Decided when installing, since
# `cmake --install --prefix` and cpack choose the prefix then.
set(CLAIMMAP_LOGROTATE ${CMAKE_SOURCE_DIR}/server/systemd/claimmap.logrotate)
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(claimmap_etc /etc)
  else()
    set(claimmap_etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
  endif()
  file(INSTALL DESTINATION \"\${claimmap_etc}/logrotate.d\" TYPE FILE RENAME claimmap
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES \"${CLAIMMAP_LOGROTATE}\")
" COMPONENT runtime)
install(FILES docs/server.md docs/spec.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
# claimmap(1), gzipped as Debian ships man pages; built with the command so
# that an install after `make demo` (the claimmap target only) finds it.
set(CLAIMMAP_MAN_GZ ${CMAKE_CURRENT_BINARY_DIR}/claimmap.1.gz)
add_custom_command(OUTPUT ${CLAIMMAP_MAN_GZ}
                   COMMAND gzip -9 -n -c ${CMAKE_SOURCE_DIR}/docs/man/claimmap.1 > ${CLAIMMAP_MAN_GZ}
                   DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/claimmap.1 VERBATIM)
add_custom_target(claimmap_man DEPENDS ${CLAIMMAP_MAN_GZ})
add_dependencies(claimmap claimmap_man)
install(FILES ${CLAIMMAP_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)

install(TARGETS claimmap_engine EXPORT ClaimMapTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# The archive without its debug sections (as Debian ships -dev archives):
# 100 MB of DWARF would otherwise go to every machine that builds against it.
install(CODE "execute_process(COMMAND objcopy --strip-debug
  \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:claimmap_engine>\")" COMPONENT dev)
install(DIRECTORY include/claimmap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT ClaimMapTargets NAMESPACE ClaimMap:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ClaimMap COMPONENT dev)
configure_package_config_file(cmake/ClaimMapConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ClaimMap)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/ClaimMapConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ClaimMap COMPONENT dev)
# pkg-config: the library is static, so what it links is in Requires (not
# Requires.private): `g++ main.cc $(pkg-config --cflags --libs claimmap)`.
file(RELATIVE_PATH CLAIMMAP_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/claimmap.pc.in ${CMAKE_CURRENT_BINARY_DIR}/claimmap.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/claimmap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME claimmap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "ClaimMap engineers <claimmap@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Login-time claim mapping engine: IdP claims to groups and app roles")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
# Debug info goes to its own package, claimmap-dbgsym (a .ddeb, as Debian's
# and Ubuntu's builds name them): CPack splits each unstripped ELF file with
# objcopy --only-keep-debug into /usr/lib/debug/.build-id/XX/YYYY.debug and
# strips the installed one (a few MB instead of ~190). CPACK_STRIP_FILES must
# stay off: files it strips first leave CPack nothing to split.
set(CPACK_STRIP_FILES OFF)
set(CPACK_DEBIAN_RUNTIME_DEBUGINFO_PACKAGE ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME claimmap)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION utils)
# Runtime libraries (libsimdjson14, libtbb12, libre2-9, libssl3, libnats3.4,
# …) are read off the binary by dpkg-shlibdeps; adduser is for postinst,
# which makes the service's system user. The unit is installed, not enabled:
# it needs a config and a tokens file first.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser")
# conffiles: the logrotate snippet is the operator's to edit (retention), and
# an upgrade must not overwrite it silently.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/server/systemd/postinst;${CMAKE_SOURCE_DIR}/server/systemd/prerm;${CMAKE_SOURCE_DIR}/server/systemd/postrm;${CMAKE_SOURCE_DIR}/server/systemd/conffiles")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libclaimmap-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libsimdjson-dev, libtbb-dev, libboost-dev, libxxhash-dev, libssl-dev, libre2-dev, pkg-config")
include(CPack)
