/* The version of proxyd, in one place (main.c prints it, "show info"
 * reports it).
 */
#ifndef PX_CORE_VERSION_H
#define PX_CORE_VERSION_H

#define PROXYD_VERSION "0.1.0"

#endif
