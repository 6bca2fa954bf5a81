"""The seed: deterministic, realistic variety in the default estate, the same kinds of data in the large one."""

from cipp_emulator.seed import E3, SPB, build_state  # pylint: disable=import-error

import pytest


def fingerprint(state):
    return sorted((t.customer_id, sorted(t.users), sorted(t.groups), sorted((s['id'], s['createdDateTime']) for s in t.signins))
                  for t in state.tenants.values())


def test_the_default_seed_is_deterministic():
    assert fingerprint(build_state('default')) == fingerprint(build_state('default'))


@pytest.fixture(scope='module')
def estate():
    return build_state('default')


def test_five_tenants_four_of_25_to_40_users_and_a_small_one(estate):
    assert len(estate.tenants) == 5
    for tenant in estate.tenants.values():
        # people, a break-glass admin, guests and the shared mailbox's user (Woodgrove Bakery is a small tenant)
        assert (16 if tenant.no_p1 else 25) <= len(tenant.users) <= 40, tenant.default_domain


def test_each_tenant_has_the_variety_a_lifecycle_client_meets(estate):
    for tenant in estate.tenants.values():
        users = list(tenant.users.values())
        guests = [u for u in users if u['userType'] == 'Guest']
        assert 2 <= len(guests) <= 3 and all('#EXT#' in u['userPrincipalName'] for u in guests)
        assert 1 <= sum(1 for u in users if u['_isAdmin']) <= 2
        synced = [u for u in users if u['onPremisesSyncEnabled']]
        assert len(synced) == 2 and all(u['onPremisesImmutableId'] for u in synced)
        assert any(not u['accountEnabled'] for u in users if u['userType'] == 'Member')
        assert any(u['usageLocation'] is None for u in users) and any(not u['assignedLicenses'] for u in users)
        assert len({u['jobTitle'] for u in users}) > 5 and len({u['city'] for u in users}) >= 4
        assert len({u['_perUserMfa'] for u in users}) == 3
        assert sum(1 for u in users if u['_managerId']) > len(users) // 2
        assert sum(1 for u in users if u['_compromised']) == 1


def test_groups_skus_devices_signins_deleted_and_apps(estate):
    for tenant in estate.tenants.values():
        kinds = {g['_kind'] for g in tenant.groups.values()}
        assert kinds == {'m365', 'security', 'mailsecurity', 'distribution'}
        assert any(g['membershipRule'] for g in tenant.groups.values()) and any(g['isAssignableToRole'] for g in tenant.groups.values())
        assert any(g['_assignedLicenses'] == [E3 if tenant.no_p1 else SPB] for g in tenant.groups.values())
        free = []
        for sku_id, sku in tenant.skus.items():
            used = sum(1 for u in tenant.users.values() for l in u['assignedLicenses'] if l['skuId'] == sku_id)
            assert used <= sku['prepaidUnits']['enabled']
            free.append(sku['prepaidUnits']['enabled'] - used)
        assert 3 <= len(tenant.skus) <= 4 and 0 in free and (tenant.no_p1 or 1 in free)
        assert tenant.devices and tenant.deleted and len(tenant.apps) >= 2
        countries = {s['location']['countryOrRegion'] for s in tenant.signins}
        assert len(countries) >= 3
        newest = max(s['createdDateTime'] for s in tenant.signins)
        oldest = min(s['createdDateTime'] for s in tenant.signins)
        assert newest > oldest


def test_one_direct_tenant_and_custom_domains(estate):
    rows = [t.row for t in estate.tenants.values()]
    assert sum(1 for r in rows if r['delegatedPrivilegeStatus'] == 'directTenant') == 1
    contoso = estate.resolve_tenant('contoso.com')
    assert contoso.row['initialDomainName'] == 'contoso.onmicrosoft.com' and len(contoso.domains) == 3


def test_the_large_seed_has_the_same_kinds_of_data():
    state = build_state('large:20:12')
    assert len(state.tenants) == 20
    for tenant in state.tenants.values():
        users = list(tenant.users.values())
        assert len([u for u in users if u['userType'] == 'Member']) >= 12
        assert any(u['userType'] == 'Guest' for u in users) and any(u['onPremisesSyncEnabled'] for u in users)
        assert tenant.signins and tenant.groups and tenant.skus
    assert {t.row['delegatedPrivilegeStatus'] for t in state.tenants.values()} == {'directTenant', 'granularDelegatedAdminPrivileges'}


@pytest.mark.parametrize('seed', ['large', 'large:2', 'large:x:5', 'large:2:1', 'medium'])
def test_bad_seed_names_are_refused(seed):
    with pytest.raises(ValueError):
        build_state(seed)
