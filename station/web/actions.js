// Alert actions (POST /api/alerts/{id}/{action}) and which are enabled for a role in a state.
// Mirrors workflow::AlertLifecycle::allowed and the roles of station/API.md; the server decides.

import { api, emit, session } from './api.js';
import { t } from './i18n.js';

const CLINICAL = new Set(['cardiologist', 'coordinator']);

export const ACTIONS = ['acknowledge', 'confirm', 'reject', 'green_channel', 'close'];

export function actionAllowed(action, state, role = session.user && session.user.role) {
  switch (action) {
    case 'acknowledge':
      return CLINICAL.has(role) && state === 'raised';
    case 'confirm':
    case 'reject':
      return role === 'cardiologist' && (state === 'raised' || state === 'acknowledged');
    case 'green_channel':
      return CLINICAL.has(role) && state === 'confirmed';
    case 'close':
      return CLINICAL.has(role) && ['raised', 'confirmed', 'green_channel', 'rejected'].includes(state);
    default:
      return false;
  }
}

export function canRecordNodes(role = session.user && session.user.role) {
  return CLINICAL.has(role);
}

export function canDiagnose(role = session.user && session.user.role) {
  return role === 'cardiologist';
}

export function errorText(e) {
  if (e.status === 403 && e.code !== 'csrf') return t('action_forbidden');
  if (e.status === 409) return t('action_conflict');
  return t('action_failed', { msg: e.message });
}

// Returns the updated WorklistItem; every view hears about it at once through 'alert-item'.
export async function performAction(alertId, action, body) {
  const res = await api('POST', `/api/alerts/${encodeURIComponent(alertId)}/${action}`, body || {});
  if (res && res.item) emit('alert-item', res.item);
  return res;
}
