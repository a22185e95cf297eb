/** Charges and refunds, offers and their eligibility, tariff versions. */
import { z } from 'zod';
import { PAGE_SIZE_DEFAULT } from '../../../app/index.ts';
import { Money, parseTariff, tariffSchema, tariffToJson } from '../../../domain/index.ts';
import { ProblemError } from '../problem.ts';
import { defineRoute, type Route } from '../route.ts';
import {
  chargeIdParams, eligibilityQuery, listChargesQuery, noQuery, offerIdParams, refundRequest, tariffHashParams,
} from '../schemas/requests.ts';
import { chargeJson, chargeView, eligibilityJson, eligibilityView, offerJson, offerView, pageJson, refundJson, refundView } from '../schemas/views.ts';
import { chargeInScope, type HttpDeps, offerInScope, subscriberInScope, unwrap } from './scope.ts';

const tariffVersionJson = z.object({ hash: z.string(), created: z.boolean(), tariff: z.unknown() }).meta({ id: 'TariffVersion' });

export function moneyRoutes(deps: HttpDeps): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/charges/{id}', operationId: 'getCharge', tag: 'Charges',
      summary: 'A charge: metered and billed seconds, amount (= the last price shown), VAT, revenue split, refunds, rating lines',
      principals: ['merchant', 'operator', 'user'], params: chargeIdParams,
      responses: { 200: { description: 'The charge', schema: chargeJson } },
      handle: async ({ principal, params }) => {
        const charge = await chargeInScope(deps, principal, params.id);
        return { status: 200, body: chargeView(charge, await deps.store.listRefunds(charge.id)) };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/charges', operationId: 'listCharges', tag: 'Charges',
      summary: 'Charges of the merchant (or billed by the operator), newest first, with cursor pagination',
      principals: ['merchant', 'operator'], query: listChargesQuery,
      responses: { 200: { description: 'A page of charges', schema: pageJson(chargeJson, 'ChargePage') } },
      handle: async ({ principal, query }) => {
        const page = await deps.store.listCharges({
          ...(principal.kind === 'merchant' ? { merchantId: principal.merchantId } : {}),
          ...(principal.kind === 'operator' ? { billingCarrierId: principal.carrierId } : {}),
          ...(query.subscriberId === undefined ? {} : { subscriberId: query.subscriberId }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }), limit: query.limit ?? PAGE_SIZE_DEFAULT,
        });
        const items = await Promise.all(page.items.map(async (charge) => chargeView(charge, await deps.store.listRefunds(charge.id))));
        return { status: 200, body: { items, nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/charges/{id}/refunds', operationId: 'refundCharge', tag: 'Charges',
      summary: 'Refund a charge fully (no amount) or partly, with a reason: a refund journal gives back each share in proportion',
      principals: ['merchant', 'operator'], params: chargeIdParams, body: refundRequest,
      responses: { 201: { description: 'The refund', schema: refundJson } },
      handle: async ({ principal, params, body }) => {
        const charge = await chargeInScope(deps, principal, params.id);
        const by = principal.kind === 'merchant' ? `merchant:${principal.merchantId}` : principal.kind === 'operator' ? `operator:${principal.carrierId}` : 'unknown';
        const refund = unwrap(await deps.broker.refund({
          chargeId: charge.id, amountMinor: body.amount === undefined ? null : Money.of(body.amount, charge.currency).toMinorUnits(), reason: body.reason, by,
        }));
        return { status: 201, body: refundView(refund) };
      },
    }),
    ...offerRoutes(deps),
  ];
}

function offerRoutes(deps: HttpDeps): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/offers', operationId: 'listOffers', tag: 'Offers',
      summary: 'Offers: a merchant\'s own, or every offer for an operator', principals: ['merchant', 'operator'], query: noQuery,
      responses: { 200: { description: 'The offers', schema: z.object({ items: z.array(offerJson) }) } },
      handle: async ({ principal }) => {
        const offers = await deps.store.listOffers(principal.kind === 'merchant' ? { merchantId: principal.merchantId } : {});
        return { status: 200, body: { items: offers.map(offerView) } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/offers/{id}/eligibility', operationId: 'offerEligibility', tag: 'Offers',
      summary: 'Whether to show the assistance button to a subscriber, and the largest cap allowed',
      principals: ['merchant', 'operator'], params: offerIdParams, query: eligibilityQuery,
      responses: { 200: { description: 'Eligible, or the reason why not', schema: eligibilityJson } },
      handle: async ({ principal, params, query }) => {
        await offerInScope(deps, principal, params.id);
        await subscriberInScope(deps, principal, query.subscriberId);
        return { status: 200, body: eligibilityView(await deps.broker.eligibility(params.id, query.subscriberId)) };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/tariffs', operationId: 'publishTariff', tag: 'Tariffs',
      summary: 'Publish a tariff version (format v1); its id is the hash of its canonical form, and publishing it again changes nothing',
      description: 'Format errors are 400 `validation_failed`; a tariff that breaks a rule of its jurisdiction profile is 422 `tariff_invalid`, with every violation.',
      principals: ['operator'], body: tariffSchema,
      responses: { 201: { description: 'Published', schema: tariffVersionJson }, 200: { description: 'Already published', schema: tariffVersionJson } },
      handle: async ({ body }) => {
        const parsed = parseTariff(body);
        if (!parsed.ok) throw new ProblemError('tariff_invalid', { errors: parsed.error });
        const outcome = await deps.store.publishTariff(parsed.value, deps.clock.nowMs());
        return { status: outcome === 'created' ? 201 : 200, body: { hash: parsed.value.hash, created: outcome === 'created', tariff: tariffToJson(parsed.value) } };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/tariffs/{hash}', operationId: 'getTariff', tag: 'Tariffs',
      summary: 'A published tariff version in canonical form', principals: ['merchant', 'operator'], params: tariffHashParams,
      responses: { 200: { description: 'The tariff version', schema: tariffVersionJson } },
      handle: async ({ params }) => {
        const tariff = await deps.store.getTariff(params.hash);
        if (tariff === null) throw new ProblemError('tariff_not_found');
        return { status: 200, body: { hash: tariff.hash, created: false, tariff: tariffToJson(tariff) } };
      },
    }),
  ];
}
