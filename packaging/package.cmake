# The Debian package (`cmake --build build --target package` → build/greenchannel_VERSION_ARCH.deb):
# the binary in /usr/bin, /etc/greenchannel/greenchannel.conf (a conffile), the systemd unit, the
# README and a manual page; postinst adds the `greenchannel` system user and the data directory
# /var/lib/greenchannel, enables and starts (on upgrade: restarts) the service.
include(GNUInstallDirs)
set(GC_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

install(TARGETS greenchannel RUNTIME DESTINATION bin COMPONENT server)
install(FILES ${GC_PACKAGING_DIR}/greenchannel.conf DESTINATION /etc/greenchannel
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT server)
install(FILES ${GC_PACKAGING_DIR}/greenchannel.service DESTINATION /lib/systemd/system
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT server)
install(FILES ${GC_PACKAGING_DIR}/copyright ${CMAKE_SOURCE_DIR}/README.md
        DESTINATION share/doc/greenchannel
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT server)
# Debian wants a compressed changelog in the doc directory.
set(GC_CHANGELOG ${CMAKE_BINARY_DIR}/packaging/changelog)
string(TIMESTAMP GC_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${GC_CHANGELOG}
     "greenchannel (${PROJECT_VERSION}) stable; urgency=medium\n\n"
     "  * Release ${PROJECT_VERSION}; see README.md for what it does.\n\n"
     " -- greenchannel maintainers <greenchannel@example.invalid>  ${GC_CHANGELOG_DATE}\n")
# Made at configure time, so packaging needs nothing built but the binary.
execute_process(COMMAND gzip -n -9 -f ${GC_CHANGELOG} RESULT_VARIABLE GC_GZIP_RESULT)
if(NOT GC_GZIP_RESULT EQUAL 0)
  message(FATAL_ERROR "packaging: gzip of ${GC_CHANGELOG} failed")
endif()
install(FILES ${GC_CHANGELOG}.gz DESTINATION share/doc/greenchannel RENAME changelog.gz
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT server)

# The manual page, compressed as Debian wants it (made at configure time too).
configure_file(${GC_PACKAGING_DIR}/greenchannel.1 ${CMAKE_BINARY_DIR}/packaging/greenchannel.1 COPYONLY)
execute_process(COMMAND gzip -n -9 -f ${CMAKE_BINARY_DIR}/packaging/greenchannel.1
                RESULT_VARIABLE GC_GZIP_RESULT)
if(NOT GC_GZIP_RESULT EQUAL 0)
  message(FATAL_ERROR "packaging: gzip of greenchannel.1 failed")
endif()
install(FILES ${CMAKE_BINARY_DIR}/packaging/greenchannel.1.gz DESTINATION share/man/man1
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT server)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME greenchannel)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "greenchannel maintainers <greenchannel@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "remote ECG triage server for chest-pain centres")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Receives 12-lead ECGs from ECG carts over TLS, stores them durably in SQLite,\n"
    "measures them and raises STEMI alerts that escalate along an on-call roster,\n"
    "and serves the reading station (HTTPS and WebSocket) to cardiologists.")
string(JOIN "" CPACK_DEBIAN_PACKAGE_DESCRIPTION ${CPACK_DEBIAN_PACKAGE_DESCRIPTION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser for the system user; init-system-helpers for deb-systemd-helper/-invoke.
# procps: /bin/kill, the unit's ExecReload.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers (>= 1.54~), procps")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${GC_PACKAGING_DIR}/debian/postinst ${GC_PACKAGING_DIR}/debian/prerm
    ${GC_PACKAGING_DIR}/debian/postrm ${GC_PACKAGING_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Only our files: no directories owned by the base system (/etc, /usr, /lib/systemd …).
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/")
include(CPack)
