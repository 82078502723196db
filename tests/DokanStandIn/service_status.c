/* Prints what the service manager knows of a service (for the Wine service test): its state and the controls it
   accepts, which Wine's `sc query` does not show. Usage: service_status.exe NAME */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: service_status NAME\n");
        return 2;
    }

    SC_HANDLE manager = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    SC_HANDLE service = manager ? OpenServiceW(manager, argv[1], SERVICE_QUERY_STATUS) : NULL;
    SERVICE_STATUS status;
    if (!service || !QueryServiceStatus(service, &status)) {
        printf("error %lu\n", GetLastError());
        return 1;
    }

    printf("state=%lu accepted=0x%lx exit=%lu\n", status.dwCurrentState, status.dwControlsAccepted, status.dwWin32ExitCode);
    CloseServiceHandle(service);
    CloseServiceHandle(manager);
    return 0;
}
