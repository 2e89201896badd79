/* Classifying --listen addresses (see listen_addr.h) with inet_pton: IPv4 127.0.0.0/8, IPv6 ::1,
 * and the name localhost. */
#include "listen_addr.h"

#include <arpa/inet.h>
#include <string.h>

bool listen_addr_is_loopback(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (!addr || !*addr)
        return false;
    if (strcmp(addr, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, addr, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}
