/* The CFA rule at a code address (cfa_rule.h): per module, in its sym_index frame slot, a libdwarf
 * handle on the loaded file itself (its .eh_frame, else .debug_frame) and its FDE list.
 *
 * The file opened is the module's own (no debug link is followed): .eh_frame is always in the
 * loaded binary, even when its DWARF lives in a separate debug file. FDE addresses are link-time:
 * a runtime pc is looked up minus the module's bias. */
#include "cfa_rule.h"

#include "log.h"
#include "path_match.h"
#include "signal_interpose.h"

#include <dwarf.h>
#include <libdwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct frame_module {
    const char *path;    /* owned by the symbol index, which outlives this */
    bool opened;
    char unavailable[256]; /* why there is no call-frame information; "" when there is */
    Dwarf_Debug dbg;
    Dwarf_Cie *cies;
    Dwarf_Signed n_cies;
    Dwarf_Fde *fdes;
    Dwarf_Signed n_fdes;
} frame_module;

static void destroy_module(void *data)
{
    frame_module *m = data;
    if (m->dbg) {
        if (m->fdes)
            dwarf_fde_cie_list_dealloc(m->dbg, m->cies, m->n_cies, m->fdes, m->n_fdes);
        Dwarf_Error err = NULL;
        if (dwarf_finish(m->dbg, &err) != DW_DLV_OK)
            log_warn("cfa_rule: closing the call-frame information of %s failed", m->path);
    }
    free(m);
}

/* The text of a libdwarf error, which is freed. */
static const char *error_text(Dwarf_Debug dbg, Dwarf_Error err, char *buf, size_t len)
{
    snprintf(buf, len, "%s", err ? dwarf_errmsg(err) : "no details");
    if (err)
        dwarf_dealloc_error(dbg, err);
    return buf;
}

/* Reads the FDE list of .eh_frame, else of .debug_frame; false with m->unavailable. */
static bool read_fdes(frame_module *m)
{
    Dwarf_Error err = NULL;
    char detail[160];
    int rc = dwarf_init_path(m->path, NULL, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, NULL, NULL, &m->dbg,
                             NULL, 0, NULL, &err);
    if (rc != DW_DLV_OK) {
        m->dbg = NULL;
        snprintf(m->unavailable, sizeof m->unavailable, "cannot read the call-frame information of %s (%s)",
                 path_base_name(m->path),
                 rc == DW_DLV_NO_ENTRY ? "no DWARF sections" : error_text(NULL, err, detail, sizeof detail));
        return false;
    }
    rc = dwarf_get_fde_list_eh(m->dbg, &m->cies, &m->n_cies, &m->fdes, &m->n_fdes, &err);
    if (rc == DW_DLV_ERROR) {
        dwarf_dealloc_error(m->dbg, err);
        err = NULL;
    }
    if (rc != DW_DLV_OK)
        rc = dwarf_get_fde_list(m->dbg, &m->cies, &m->n_cies, &m->fdes, &m->n_fdes, &err);
    if (rc != DW_DLV_OK) {
        m->fdes = NULL;
        snprintf(m->unavailable, sizeof m->unavailable, "%s has no call-frame information%s%s",
                 path_base_name(m->path), rc == DW_DLV_ERROR ? ": " : "",
                 rc == DW_DLV_ERROR ? error_text(m->dbg, err, detail, sizeof detail) : "");
        return false;
    }
    return true;
}

/* The module containing runtime address pc, its FDEs read; NULL with err. */
static frame_module *module_at(sym_index *symbols, uintptr_t pc, uintptr_t *bias, char *err,
                               size_t err_len)
{
    sym_module_info info;
    if (!sym_module_at(symbols, pc, &info)) {
        snprintf(err, err_len, "no loaded module contains 0x%lx", (unsigned long)pc);
        return NULL;
    }
    frame_module *m = info.frame_ext->data;
    if (!m) {
        if (!(m = calloc(1, sizeof *m))) {
            snprintf(err, err_len, "out of memory");
            return NULL;
        }
        m->path = info.path;
        info.frame_ext->data = m;
        info.frame_ext->destroy = destroy_module;
    }
    if (!m->opened) {
        m->opened = true;
        read_fdes(m);
    }
    if (m->unavailable[0]) {
        snprintf(err, err_len, "%s", m->unavailable);
        return NULL;
    }
    *bias = info.bias;
    return m;
}

/* The FDE covering runtime address pc, its module in *module and pc's link-time address in
 * *link_pc; NULL with err. */
static Dwarf_Fde fde_at(sym_index *symbols, uintptr_t pc, frame_module **module, Dwarf_Addr *link_pc,
                        char *err, size_t err_len)
{
    uintptr_t bias;
    frame_module *m = module_at(symbols, pc, &bias, err, err_len);
    if (!m)
        return NULL;
    Dwarf_Addr low, high;
    Dwarf_Fde fde;
    Dwarf_Error derr = NULL;
    *link_pc = pc - bias;
    int rc = dwarf_get_fde_at_pc(m->fdes, *link_pc, &fde, &low, &high, &derr);
    if (rc != DW_DLV_OK) {
        if (rc == DW_DLV_ERROR)
            dwarf_dealloc_error(m->dbg, derr);
        snprintf(err, err_len, "no call-frame information covers 0x%lx in %s", (unsigned long)pc,
                 path_base_name(m->path));
        return NULL;
    }
    *module = m;
    return fde;
}

int cfa_rule_at(sym_index *symbols, uintptr_t pc, cfa_rule *out, char *err, size_t err_len)
{
    frame_module *m;
    Dwarf_Addr link_pc;
    Dwarf_Fde fde = fde_at(symbols, pc, &m, &link_pc, err, err_len);
    if (!fde)
        return -1;
    Dwarf_Error derr = NULL;
    char detail[160];
    int rc;
    Dwarf_Small value_type = 0;
    Dwarf_Signed offset_relevant = 0, regno = 0, offset = 0;
    Dwarf_Ptr block = NULL;
    Dwarf_Addr row_pc = 0, next_pc = 0;
    Dwarf_Bool more_rows = 0;
    rc = dwarf_get_fde_info_for_cfa_reg3_b(fde, link_pc, &value_type, &offset_relevant, &regno,
                                           &offset, &block, &row_pc, &more_rows, &next_pc, &derr);
    if (rc != DW_DLV_OK) {
        snprintf(err, err_len, "cannot read the CFA rule at 0x%lx (%s)", (unsigned long)pc,
                 rc == DW_DLV_ERROR ? error_text(m->dbg, derr, detail, sizeof detail) : "no row");
        return -1;
    }
    if (value_type != DW_EXPR_OFFSET) {
        snprintf(err, err_len, "the CFA at 0x%lx is a DWARF expression", (unsigned long)pc);
        return -1;
    }
    if (regno < 0 || regno >= FRAME_REG_COUNT) {
        snprintf(err, err_len, "the CFA at 0x%lx is based on DWARF register %lld", (unsigned long)pc,
                 (long long)regno);
        return -1;
    }
    *out = (cfa_rule){ .regno = (int16_t)regno, .offset = offset_relevant ? offset : 0 };
    return 0;
}

bool cfa_rule_has_landing_pads(sym_index *symbols, uintptr_t pc)
{
    frame_module *m;
    Dwarf_Addr link_pc;
    char err[160];
    Dwarf_Fde fde = fde_at(symbols, pc, &m, &link_pc, err, sizeof err);
    Dwarf_Cie cie;
    Dwarf_Error derr = NULL;
    char *augmentation = NULL;
    Dwarf_Unsigned bytes, code_align, instructions_len, data_len = 0;
    Dwarf_Signed data_align;
    Dwarf_Small version, *data = NULL;
    Dwarf_Half return_rule, offset_size;
    Dwarf_Ptr instructions;
    if (!fde || dwarf_get_cie_of_fde(fde, &cie, &derr) != DW_DLV_OK ||
        dwarf_get_cie_info_b(cie, &bytes, &version, &augmentation, &code_align, &data_align, &return_rule,
                             &instructions, &instructions_len, &offset_size, &derr) != DW_DLV_OK ||
        !augmentation || !strchr(augmentation, 'L') ||
        dwarf_get_fde_augmentation_data(fde, &data, &data_len, &derr) != DW_DLV_OK) {
        if (derr)
            dwarf_dealloc_error(m->dbg, derr);
        return false;
    }
    for (Dwarf_Unsigned i = 0; i < data_len; i++)
        if (data[i])
            return true; /* a non-null LSDA pointer */
    return false;
}

PODBUG_HANDLER_TEXT bool cfa_rule_apply(const cfa_rule *rule, frame_regs *regs)
{
    if (!frame_reg_known(regs, rule->regno))
        return false;
    regs->cfa = regs->reg[rule->regno] + (uint64_t)rule->offset;
    return true;
}
