/* The CVaR of a finite distribution (declared in tabrl/returns.h, defined
 * with the ecrm objective); private include for src/oracle and its tests. */
#ifndef TABRL_ORACLE_CVAR_H
#define TABRL_ORACLE_CVAR_H

#include "tabrl/returns.h"

#endif
