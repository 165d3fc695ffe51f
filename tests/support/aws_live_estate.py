"""One AWS account for the live-scanning tests, seeded through the AWS APIs of the emulator, and
the AWS Config snapshot the same resources would be recorded as.

`seed()` creates every failure class the live checks cover next to a clean counterpart.
`export(path)` describes what the account holds with boto3 (its own parsing of the APIs, not
demarc's) and writes it in the shape AWS Config delivers (`configurationItems`, the envelope,
`configuration` in the Java SDK's camelCase, `supplementaryConfiguration`), plus the IAM
credential report as the CSV the API returns. The test scans both and compares the findings.
"""

import base64
import io
import json
import sys
import time
import zipfile
from urllib.parse import quote

import boto3

REGION = "us-east-1"
ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
READ_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::live-site/*"}],
    }
)


def trust(principal):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def seed():
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]

    def group(name, permissions, tags=None):
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        if permissions:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=permissions)
        if tags:
            ec2.create_tags(Resources=[gid], Tags=tags)
        return gid

    group("open-ssh", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    group("all-ports", [{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    group("rdp-v6", [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    group("icmp-only", [{"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    group("internal-ssh", [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    group("https-only", [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "legacy-web"}]}],
    )
    ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Owner", "Value": "platform@example.com"}]}],
    )
    ec2.create_volume(AvailabilityZone=REGION + "a", Size=8, Encrypted=False)
    ec2.create_volume(AvailabilityZone=REGION + "a", Size=8, Encrypted=True)

    kms = boto3.client("kms", region_name=REGION)
    rotated = kms.create_key(Description="rotated", Tags=[{"TagKey": "owner", "TagValue": "security"}])["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    kms.create_key(Description="never rotated")

    s3 = boto3.client("s3", region_name=REGION)
    for name in ["live-logs", "live-clean", "live-open", "live-bare"]:
        s3.create_bucket(Bucket=name)
    s3.put_bucket_acl(Bucket="live-logs", ACL="log-delivery-write")
    s3.put_public_access_block(
        Bucket="live-clean",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket="live-clean",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": rotated}}]
        },
    )
    s3.put_bucket_versioning(Bucket="live-clean", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket="live-clean",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "live-logs", "TargetPrefix": "clean/"}},
    )
    s3.put_bucket_tagging(Bucket="live-clean", Tagging={"TagSet": [{"Key": "owner", "Value": "data"}]})
    s3.put_bucket_policy(
        Bucket="live-clean",
        Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": ["arn:aws:s3:::live-clean", "arn:aws:s3:::live-clean/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        }),
    )
    s3.put_bucket_policy(
        Bucket="live-open",
        Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::live-open/*"}],
        }),
    )
    s3.put_bucket_acl(Bucket="live-open", ACL="public-read")

    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="everything", PolicyDocument=ADMIN)
    iam.create_user(UserName="bob", Tags=[{"Key": "owner", "Value": "bob@example.com"}])
    iam.put_user_policy(UserName="bob", PolicyName="site-read", PolicyDocument=READ_ONLY)
    iam.create_login_profile(UserName="bob", Password="a-long-Passw0rd!")
    iam.create_access_key(UserName="alice")
    iam.create_role(RoleName="anyone-may-assume", AssumeRolePolicyDocument=trust({"AWS": "*"}))
    iam.create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
    iam.create_policy(PolicyName="AdminAll", PolicyDocument=ADMIN)
    iam.create_policy(PolicyName="SiteRead", PolicyDocument=READ_ONLY)
    iam.create_group(GroupName="admins")
    iam.put_group_policy(GroupName="admins", PolicyName="everything", PolicyDocument=ADMIN)

    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="public-db", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="postgres", MasterUserPassword="a-long-Passw0rd!", AllocatedStorage=20,
        PubliclyAccessible=True, StorageEncrypted=False, BackupRetentionPeriod=0, AutoMinorVersionUpgrade=False,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="private-db", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="ledger_owner", MasterUserPassword="a-long-Passw0rd!", AllocatedStorage=20,
        PubliclyAccessible=False, StorageEncrypted=True, BackupRetentionPeriod=7, AutoMinorVersionUpgrade=True,
        Tags=[{"Key": "owner", "Value": "ledger"}],
    )

    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.create_trail(Name="org-trail", S3BucketName="live-logs", IsMultiRegionTrail=True,
                    IncludeGlobalServiceEvents=True, EnableLogFileValidation=False)

    lam = boto3.client("lambda", region_name=REGION)
    role = iam.get_role(RoleName="lambda-exec")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    for name, runtime in [("old-runtime", "python3.7"), ("current-runtime", "python3.12")]:
        lam.create_function(
            FunctionName=name, Runtime=runtime, Role=role, Handler="handler.handler",
            Code={"ZipFile": buf.getvalue()}, Tags={"owner": "apps"} if runtime == "python3.12" else {},
        )
    lam.add_permission(
        FunctionName="old-runtime", StatementId="anyone", Action="lambda:InvokeFunction", Principal="*",
    )


def lower(name):
    return name[:1].lower() + name[1:]


def camel(value):
    """The Java SDK's bean spelling AWS Config records: the first letter of each key lowered."""
    if isinstance(value, dict):
        return {lower(k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def document(doc):
    """A policy document as AWS Config records it: URL-encoded JSON (boto3 hands it decoded)."""
    if isinstance(doc, str):
        return doc
    return quote(json.dumps(doc))


def tag_map(tags, key="Key", value="Value"):
    return {t[key]: t[value] for t in tags or []}


def envelope(account, region, kind, rid, name, arn, tags, configuration, supplementary=None):
    return {
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": "2026-11-30T12:00:00.000Z",
        "configurationStateId": 1764504000000,
        "awsAccountId": account,
        "configurationItemStatus": "ResourceDiscovered",
        "resourceType": kind,
        "resourceId": rid,
        "resourceName": name,
        "ARN": arn,
        "awsRegion": region,
        "availabilityZone": "Not Applicable",
        "tags": tags,
        "relatedEvents": [],
        "relationships": [],
        "configuration": configuration,
        "supplementaryConfiguration": supplementary or {},
    }


def permissions(perms):
    out = []
    for p in perms:
        out.append({
            "fromPort": p.get("FromPort"),
            "ipProtocol": p["IpProtocol"],
            "ipv6Ranges": [{"cidrIpv6": r["CidrIpv6"]} for r in p.get("Ipv6Ranges", [])],
            "prefixListIds": [],
            "toPort": p.get("ToPort"),
            "userIdGroupPairs": [],
            "ipv4Ranges": [{"cidrIp": r["CidrIp"]} for r in p.get("IpRanges", [])],
            "ipRanges": [r["CidrIp"] for r in p.get("IpRanges", [])],
        })
    return out


def export(path, report_path):
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    items = []
    ec2 = boto3.client("ec2", region_name=REGION)
    for sg in ec2.describe_security_groups()["SecurityGroups"]:
        conf = {
            "description": sg["Description"], "groupName": sg["GroupName"],
            "ipPermissions": permissions(sg.get("IpPermissions", [])), "ownerId": sg["OwnerId"],
            "groupId": sg["GroupId"], "ipPermissionsEgress": permissions(sg.get("IpPermissionsEgress", [])),
            "tags": camel(sg.get("Tags", [])), "vpcId": sg.get("VpcId"),
        }
        items.append(envelope(account, REGION, "AWS::EC2::SecurityGroup", sg["GroupId"], sg["GroupName"],
                              f"arn:aws:ec2:{REGION}:{account}:security-group/{sg['GroupId']}",
                              tag_map(sg.get("Tags")), conf))
    for reservation in ec2.describe_instances()["Reservations"]:
        for i in reservation["Instances"]:
            conf = camel(i)
            conf["state"] = camel(i["State"])
            items.append(envelope(account, REGION, "AWS::EC2::Instance", i["InstanceId"], None,
                                  f"arn:aws:ec2:{REGION}:{account}:instance/{i['InstanceId']}",
                                  tag_map(i.get("Tags")), conf))
    for v in ec2.describe_volumes()["Volumes"]:
        items.append(envelope(account, REGION, "AWS::EC2::Volume", v["VolumeId"], None,
                              f"arn:aws:ec2:{REGION}:{account}:volume/{v['VolumeId']}",
                              tag_map(v.get("Tags")), camel(v)))

    kms = boto3.client("kms", region_name=REGION)
    for k in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        supp = {"KeyPolicy": kms.get_key_policy(KeyId=k["KeyId"], PolicyName="default")["Policy"]}
        if meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] == "Enabled":
            supp["KeyRotationStatus"] = kms.get_key_rotation_status(KeyId=k["KeyId"])["KeyRotationEnabled"]
        tags = tag_map(kms.list_resource_tags(KeyId=k["KeyId"])["Tags"], "TagKey", "TagValue")
        items.append(envelope(account, REGION, "AWS::KMS::Key", k["KeyId"], None, meta["Arn"], tags,
                              camel(meta), supp))

    s3 = boto3.client("s3", region_name=REGION)

    def missing(call, code):
        try:
            return call(), False
        except s3.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == code:
                return None, True
            raise

    for b in s3.list_buckets()["Buckets"]:
        name = b["Name"]
        supp = {}
        policy, _ = missing(lambda: s3.get_bucket_policy(Bucket=name)["Policy"], "NoSuchBucketPolicy")
        supp["BucketPolicy"] = {"policyText": policy}
        pab, absent = missing(lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
                              "NoSuchPublicAccessBlockConfiguration")
        if not absent:
            supp["PublicAccessBlockConfiguration"] = camel(pab)
        sse, absent = missing(lambda: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"],
                              "ServerSideEncryptionConfigurationNotFoundError")
        if not absent:
            supp["ServerSideEncryptionConfiguration"] = {
                "rules": [{
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
                        "kmsMasterKeyID": r["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID"),
                    }
                } for r in sse["Rules"]]
            }
        versioning = s3.get_bucket_versioning(Bucket=name)
        supp["BucketVersioningConfiguration"] = {"status": versioning.get("Status", "Off"), "isMfaDeleteEnabled": None}
        logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled", {})
        supp["BucketLoggingConfiguration"] = {
            "destinationBucketName": logging.get("TargetBucket"), "logFilePrefix": logging.get("TargetPrefix"),
        }
        acl = s3.get_bucket_acl(Bucket=name)
        grants = []
        for g in acl["Grants"]:
            uri = g["Grantee"].get("URI", "")
            if uri.endswith("/AllUsers"):
                grantee = "AllUsers"
            elif uri.endswith("/AuthenticatedUsers"):
                grantee = "AuthenticatedUsers"
            else:
                grantee = {"id": g["Grantee"].get("ID"), "displayName": g["Grantee"].get("DisplayName")}
            permission = "".join(w.capitalize() for w in g["Permission"].split("_"))
            grants.append({"grantee": grantee, "permission": permission})
        supp["AccessControlList"] = json.dumps({"grantSet": None, "grantList": grants,
                                                "owner": {"displayName": None, "id": acl["Owner"]["ID"]},
                                                "isRequesterCharged": False})
        tags, absent = missing(lambda: s3.get_bucket_tagging(Bucket=name)["TagSet"], "NoSuchTagSet")
        if not absent:
            supp["BucketTaggingConfiguration"] = {"tagSets": [{"tags": tag_map(tags)}]}
        items.append(envelope(account, REGION, "AWS::S3::Bucket", name, name, f"arn:aws:s3:::{name}",
                              tag_map(tags), {"name": name, "owner": {"displayName": None, "id": acl["Owner"]["ID"]},
                                              "creationDate": b["CreationDate"].isoformat()}, supp))

    iam = boto3.client("iam", region_name=REGION)
    details = iam.get_account_authorization_details(Filter=["User", "Role", "Group", "LocalManagedPolicy"])

    def inline(policies):
        return [{"policyName": p["PolicyName"], "policyDocument": document(p["PolicyDocument"])} for p in policies]

    def attached(entity):
        return camel(entity.get("AttachedManagedPolicies", []))

    for u in details["UserDetailList"]:
        conf = {
            "path": u["Path"], "userName": u["UserName"], "userId": u["UserId"], "arn": u["Arn"],
            "createDate": u["CreateDate"].isoformat(), "userPolicyList": inline(u.get("UserPolicyList", [])),
            "groupList": u.get("GroupList", []), "attachedManagedPolicies": attached(u),
            "permissionsBoundary": None, "tags": camel(u.get("Tags", [])),
        }
        items.append(envelope(account, "global", "AWS::IAM::User", u["UserId"], u["UserName"], u["Arn"],
                              tag_map(u.get("Tags")), conf))
    for g in details["GroupDetailList"]:
        conf = {
            "path": g["Path"], "groupName": g["GroupName"], "groupId": g["GroupId"], "arn": g["Arn"],
            "createDate": g["CreateDate"].isoformat(), "groupPolicyList": inline(g.get("GroupPolicyList", [])),
            "attachedManagedPolicies": attached(g),
        }
        items.append(envelope(account, "global", "AWS::IAM::Group", g["GroupId"], g["GroupName"], g["Arn"], {}, conf))
    for r in details["RoleDetailList"]:
        conf = {
            "path": r["Path"], "roleName": r["RoleName"], "roleId": r["RoleId"], "arn": r["Arn"],
            "createDate": r["CreateDate"].isoformat(),
            "assumeRolePolicyDocument": document(r["AssumeRolePolicyDocument"]),
            "instanceProfileList": [], "rolePolicyList": inline(r.get("RolePolicyList", [])),
            "attachedManagedPolicies": attached(r), "permissionsBoundary": None, "tags": camel(r.get("Tags", [])),
        }
        items.append(envelope(account, "global", "AWS::IAM::Role", r["RoleId"], r["RoleName"], r["Arn"],
                              tag_map(r.get("Tags")), conf))
    for p in details["Policies"]:
        # The emulator leaves out PolicyName and PolicyId here; AWS sends both.
        conf = {
            "policyName": p.get("PolicyName"), "policyId": p.get("PolicyId"), "arn": p["Arn"], "path": p["Path"],
            "defaultVersionId": p["DefaultVersionId"], "attachmentCount": p["AttachmentCount"],
            "isAttachable": p["IsAttachable"], "createDate": p["CreateDate"].isoformat(),
            "updateDate": p["UpdateDate"].isoformat(),
            "policyVersionList": [{
                "document": document(v["Document"]), "versionId": v["VersionId"],
                "isDefaultVersion": v["IsDefaultVersion"], "createDate": v["CreateDate"].isoformat(),
            } for v in p["PolicyVersionList"]],
        }
        items.append(envelope(account, "global", "AWS::IAM::Policy", p.get("PolicyId", ""), p.get("PolicyName"),
                              p["Arn"], {}, conf))

    rds = boto3.client("rds", region_name=REGION)
    for db in rds.describe_db_instances()["DBInstances"]:
        conf = camel(db)
        conf["dBInstanceIdentifier"] = db["DBInstanceIdentifier"]
        conf["tagList"] = camel(db.get("TagList", []))
        items.append(envelope(account, REGION, "AWS::RDS::DBInstance", db["DbiResourceId"],
                              db["DBInstanceIdentifier"], db["DBInstanceArn"], tag_map(db.get("TagList")), conf))

    ct = boto3.client("cloudtrail", region_name=REGION)
    for t in ct.describe_trails(includeShadowTrails=True)["trailList"]:
        items.append(envelope(account, t["HomeRegion"], "AWS::CloudTrail::Trail", t["Name"], t["Name"],
                              t["TrailARN"], {}, camel(t)))

    lam = boto3.client("lambda", region_name=REGION)
    for f in lam.list_functions()["Functions"]:
        supp = {}
        try:
            supp["Policy"] = lam.get_policy(FunctionName=f["FunctionName"])["Policy"]
        except lam.exceptions.ResourceNotFoundException:
            pass
        tags = lam.list_tags(Resource=f["FunctionArn"]).get("Tags", {})
        items.append(envelope(account, REGION, "AWS::Lambda::Function", f["FunctionName"], f["FunctionName"],
                              f["FunctionArn"], tags, camel(f), supp))

    snapshot = {"fileVersion": "1.0", "configSnapshotId": "live-equivalence", "configurationItems": items}
    with open(path, "w") as out:
        json.dump(snapshot, out, default=str, indent=1)

    for _ in range(20):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
        time.sleep(0.2)
    content = iam.get_credential_report()["Content"]
    with open(report_path, "wb") as out:
        out.write(content)
    print(account)


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        seed()
    elif len(sys.argv) == 4 and sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: aws_live_estate.py seed | export SNAPSHOT.json REPORT.csv")
